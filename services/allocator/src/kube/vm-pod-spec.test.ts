import { describe, expect, it } from 'vitest';
import type { VmLaunch } from '../domain/ports.ts';
import { tenantOf, vmPodName } from './kube-names.ts';
import { vmPod, vmSecret } from './vm-pod-spec.ts';
import type { VmPodSettings } from './vm-pod-spec.ts';

const settings: VmPodSettings = {
  namespace: 'lzy-vms',
  defaultImage: 'lzy/worker:1',
  hostNetwork: true,
  requestPercent: 50,
  exclusiveNodes: true,
  heartbeatPeriodMs: 20_000,
  terminationGraceSeconds: 5,
};

function launch(overrides: Partial<VmLaunch> = {}): VmLaunch {
  return {
    id: 'vm-s-0b5c',
    clusterType: 'WORKER',
    sessionId: 'sess-1',
    sessionOwner: 'alice/wf',
    ownerUserId: 'alice',
    pool: {
      label: 's',
      clusterType: 'WORKER',
      cpuType: 'Intel Cascade Lake',
      cpuCount: 2,
      gpuType: 'NO_GPU',
      gpuCount: 0,
      ramGb: 2,
      zones: ['local'],
      maxVms: 0,
    },
    zone: 'local',
    spec: { initWorkloads: [], workloads: [], volumes: [] },
    env: { LZY_ALLOCATOR_ADDRESS: '10.0.0.1:8132', LZY_VM_ID: 'vm-s-0b5c' },
    secretEnv: { LZY_VM_OTT: 'ott', LZY_VM_PRIVATE_KEY: 'pem' },
    ...overrides,
  };
}

describe('vmPod', () => {
  it("pins the pod to its pool's active nodes in its zone and tolerates the GPU taint", () => {
    const spec = vmPod(launch(), settings).spec;
    expect(spec?.nodeSelector).toEqual({
      'lzy.ai/node-pool-label': 's',
      'lzy.ai/node-pool-az': 'local',
      'lzy.ai/node-pool-state': 'ACTIVE',
    });
    expect(spec?.tolerations).toContainEqual({
      key: 'sku',
      operator: 'Equal',
      value: 'gpu',
      effect: 'NoSchedule',
    });
    expect(spec?.restartPolicy).toBe('Never');
    expect(spec?.automountServiceAccountToken).toBe(false);
    expect(spec?.hostNetwork).toBe(true);
    expect(spec?.dnsPolicy).toBe('ClusterFirstWithHostNet');
  });

  it('keeps other VMs and pods of other tenants off its node', () => {
    const terms = vmPod(launch(), settings).spec?.affinity?.podAntiAffinity
      ?.requiredDuringSchedulingIgnoredDuringExecution;
    expect(terms?.map((t) => t.topologyKey)).toEqual([
      'kubernetes.io/hostname',
      'kubernetes.io/hostname',
    ]);
    expect(terms?.[0]?.labelSelector?.matchExpressions).toEqual([
      { key: 'lzy.ai/app', operator: 'In', values: ['vm'] },
    ]);
    expect(terms?.[1]?.labelSelector?.matchExpressions).toEqual([
      { key: 'lzy.ai/pod-tenant', operator: 'Exists' },
      { key: 'lzy.ai/pod-tenant', operator: 'NotIn', values: [tenantOf('alice/wf')] },
    ]);
  });

  it('lets VMs share nodes, with no affinity at all, when nodes are not exclusive', () => {
    expect(vmPod(launch(), { ...settings, exclusiveNodes: false }).spec?.affinity).toBeUndefined();
  });

  it('treats every workflow of one user as one tenant', () => {
    expect(tenantOf('alice/wf')).toBe(tenantOf('alice/other'));
    expect(tenantOf('alice/wf')).not.toBe(tenantOf('bob/wf'));
    expect(tenantOf('portal-e1')).toMatch(/^[0-9a-f]{32}$/);
  });

  it('requests part of the pool shape and limits to all of it, GPUs whole', () => {
    const gpuPool = { ...launch().pool, label: 'gpu', cpuCount: 8, ramGb: 32, gpuCount: 1 };
    const pod = vmPod(launch({ pool: gpuPool }), settings);
    const [main] = pod.spec?.containers ?? [];
    expect(main?.resources).toEqual({
      limits: { cpu: '8', memory: '32Gi', 'nvidia.com/gpu': '1' },
      requests: { cpu: '4000m', memory: '16384Mi', 'nvidia.com/gpu': '1' },
    });
    expect(pod.spec?.tolerations).toContainEqual({
      key: 'nvidia.com/gpu',
      operator: 'Exists',
      effect: 'NoSchedule',
    });
  });

  it('requests zero, not the limits, at 0 percent', () => {
    const [main] = vmPod(launch(), { ...settings, requestPercent: 0 }).spec?.containers ?? [];
    expect(main?.resources?.requests).toEqual({ cpu: '0m', memory: '0Mi' });
  });

  it('runs the default image of its cluster when the request has no workloads', () => {
    const [main] = vmPod(launch(), settings).spec?.containers ?? [];
    expect(main?.name).toBe('worker');
    expect(main?.image).toBe('lzy/worker:1');
  });

  it('takes image, args, ports and volumes from the workloads', () => {
    const pod = vmPod(
      launch({
        spec: {
          initWorkloads: [],
          workloads: [
            {
              name: 'op',
              image: 'user/image:2',
              env: { A: '1' },
              args: ['run'],
              ports: [{ containerPort: 9000, hostPort: 9000 }],
              volumeMounts: [{ volumeName: 'data', mountPath: '/data', readOnly: true }],
            },
          ],
          volumes: [{ name: 'data', emptyDir: { sizeLimitBytes: '1024' } }],
        },
      }),
      settings,
    );
    const [main] = pod.spec?.containers ?? [];
    expect(main?.image).toBe('user/image:2');
    expect(main?.args).toEqual(['run']);
    expect(main?.ports).toEqual([{ containerPort: 9000, hostPort: 9000 }]);
    expect(main?.volumeMounts).toEqual([{ name: 'data', mountPath: '/data', readOnly: true }]);
    expect(pod.spec?.volumes).toEqual([{ name: 'data', emptyDir: { sizeLimit: '1024' } }]);
    expect(main?.env).toContainEqual({ name: 'A', value: '1' });
  });

  it('gives the VM its address, id and heartbeat in env and its credentials from its Secret', () => {
    const [main] = vmPod(launch(), settings).spec?.containers ?? [];
    const env = main?.env ?? [];
    expect(env[0]).toEqual({
      name: 'LZY_VM_IP_ADDRESS',
      valueFrom: { fieldRef: { fieldPath: 'status.podIP' } },
    });
    expect(env).toContainEqual({ name: 'LZY_ALLOCATOR_ADDRESS', value: '10.0.0.1:8132' });
    expect(env).toContainEqual({ name: 'LZY_VM_ID', value: 'vm-s-0b5c' });
    expect(env).toContainEqual({ name: 'LZY_ALLOCATOR_HEARTBEAT_PERIOD_MS', value: '20000' });
    expect(env).toContainEqual({
      name: 'LZY_VM_OTT',
      valueFrom: { secretKeyRef: { name: 'lzy-vm-secret-vm-s-0b5c', key: 'LZY_VM_OTT' } },
    });
    expect(JSON.stringify(env)).not.toContain('"pem"');
    const secret = vmSecret(launch(), settings);
    expect(secret.stringData).toEqual({ LZY_VM_OTT: 'ott', LZY_VM_PRIVATE_KEY: 'pem' });
  });

  it('names pods as DNS labels, shortening long or unusual VM ids uniquely', () => {
    expect(vmPodName('vm-s-0b5c')).toBe('lzy-vm-vm-s-0b5c');
    const long = `vm-${'X'.repeat(80)}`;
    expect(vmPodName(long)).toMatch(/^[-a-z0-9]{1,63}$/);
    expect(vmPodName(long)).not.toBe(vmPodName(`${long}y`));
  });
});
