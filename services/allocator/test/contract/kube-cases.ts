// Kubernetes-only behaviour of the allocator against the real test clusters (KWOK nodes).
import type { V1Node } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { PermissionDenied } from '@lzy/errors';
import { unaryCall } from '@lzy/grpc';
import { allocator } from '@lzy/proto';
import { CleanupStack, pollUntil } from '@lzy/testing';
import {
  allocate,
  allocateRequest,
  createSession,
  vmStatus,
  waitDone,
  workerWorkload,
} from '../harness.ts';
import type { TestAllocator } from '../harness.ts';
import { errorOf, registerAsVm, vmIdOf, waitStatus } from './allocator-contract.ts';
import type { BackendHarness } from './allocator-contract.ts';
import { NODELESS_POOL, deleteVmPods, findVmPod, isNotFound } from './kube-harness.ts';
import type { ClusterName, KubeTestNamespace } from './kube-harness.ts';

const SYSTEM = allocator.ClusterType.CLUSTER_TYPE_SYSTEM;
const RESOURCE_EXHAUSTED = 8;

export function describeKubeCases(ns: KubeTestNamespace, harness: BackendHarness): void {
  describe('allocator on Kubernetes', () => {
    const stack = new CleanupStack();
    afterEach(async () => {
      await stack.close();
      await deleteVmPods(ns);
    });
    const start = async (env: Record<string, string> = {}) => stack.push(await harness.start(env));

    /** The node kube-scheduler bound the VM's pod to, read from the pod's cluster. */
    async function boundNode(vmId: string): Promise<{ node: V1Node; cluster: ClusterName }> {
      const { pod, cluster } = await pollUntil(
        async () => {
          const found = await findVmPod(ns, vmId);
          return found?.pod.spec?.nodeName ? found : undefined;
        },
        { timeoutMs: 30_000, description: `the pod of ${vmId} is bound` },
      );
      const name = pod.spec?.nodeName ?? '';
      return { node: await ns.core[cluster].readNode({ name }), cluster };
    }

    const poolOf = (node: V1Node) => node.metadata?.labels?.['lzy.ai/node-pool-label'];
    const podsIn = async (cluster: ClusterName) =>
      (await ns.core[cluster].listNamespacedPod({ namespace: ns.name })).items;

    it('binds a worker pod in the worker cluster and a portal pod in the system cluster to nodes of their pools', async () => {
      const t = await start();
      const sessionId = await createSession(t);
      const worker = await allocate(t, allocateRequest(sessionId, { poolLabel: 'm' }));
      const portal = await allocate(
        t,
        allocateRequest(sessionId, { poolLabel: 'portals', clusterType: SYSTEM }),
      );
      const workerNode = await boundNode(vmIdOf(worker));
      expect(workerNode.cluster).toBe('worker');
      expect(poolOf(workerNode.node)).toBe('m');
      const portalNode = await boundNode(vmIdOf(portal));
      expect(portalNode.cluster).toBe('system');
      expect(poolOf(portalNode.node)).toBe('portals');
    });

    it("refuses, before any pod exists, a VM asking for a foreign image or the node's root (attacker)", async () => {
      const t = await start();
      const sessionId = await createSession(t);
      const evilImage = allocateRequest(sessionId, {
        workloads: [{ ...workerWorkload({}), image: 'evil.example/rootkit:latest' }],
      });
      await expect(allocate(t, evilImage)).rejects.toThrow(PermissionDenied);
      await expect(allocate(t, evilImage)).rejects.toThrow(/LZY_ALLOCATOR_ALLOWED_IMAGES/);
      const nodeRoot = allocateRequest(sessionId, {
        workloads: [workerWorkload({})],
        volumes: [{ name: 'root', source: { $case: 'hostPath', value: { path: '/' } } }],
      });
      await expect(allocate(t, nodeRoot)).rejects.toThrow(PermissionDenied);
      expect(await podsIn('worker')).toEqual([]);
      // The installation's own image is still fine.
      const own = allocateRequest(sessionId, {
        workloads: [{ ...workerWorkload({}), image: 'lzy-ts/worker:test' }],
      });
      await expect(allocate(t, own)).resolves.toBeDefined();
    });

    it('runs a GPU VM only on the tainted GPU node, with the GPU in its limits', async () => {
      const t = await start();
      const sessionId = await createSession(t);
      const op = await allocate(t, allocateRequest(sessionId, { poolLabel: 'gpu' }));
      const { node } = await boundNode(vmIdOf(op));
      expect(poolOf(node)).toBe('gpu');
      expect(node.spec?.taints).toContainEqual(
        expect.objectContaining({ key: 'sku', value: 'gpu', effect: 'NoSchedule' }),
      );
      const found = await findVmPod(ns, vmIdOf(op));
      const limits = found?.pod.spec?.containers[0]?.resources?.limits;
      expect(limits?.['nvidia.com/gpu']).toBe('1');
    });

    it('keeps the pod of a freed VM for reuse and deletes pod and Secret with the session', async () => {
      const t = await start();
      const sessionId = await createSession(t);
      const op = await allocate(t, allocateRequest(sessionId));
      await registerAsVm(t, harness, vmIdOf(op));
      await waitDone(t, op.id);
      await unaryCall(t.client.free.bind(t.client), { vmId: vmIdOf(op) });
      const again = await allocate(t, allocateRequest(sessionId));
      expect(again.done).toBe(true);
      expect(vmIdOf(again)).toBe(vmIdOf(op));
      expect((await podsIn('worker')).length).toBe(1);

      await unaryCall(t.client.deleteSession.bind(t.client), { sessionId });
      await waitStatus(t, vmIdOf(op), 'VM_STATUS_DEAD');
      const secrets = await ns.core.worker.listNamespacedSecret({ namespace: ns.name });
      expect(secrets.items.map((s) => s.metadata?.name)).toEqual([]);
      await pollUntil(async () => ((await podsIn('worker')).length === 0 ? true : undefined), {
        timeoutMs: 30_000,
        description: 'the pod is deleted',
      });
    });

    it("fails an allocation in a pool without nodes with kube-scheduler's message", async () => {
      const t = await start({ LZY_ALLOCATOR_UNSCHEDULABLE_DEADLINE_MS: '1000' });
      const sessionId = await createSession(t);
      const op = await allocate(t, allocateRequest(sessionId, { poolLabel: NODELESS_POOL.label }));
      const error = errorOf(await waitDone(t, op.id));
      expect(error.code).toBe(RESOURCE_EXHAUSTED);
      expect(error.message).toMatch(
        /could not be scheduled within 1000 ms: 0\/\d+ nodes are available: .*node affinity\/selector/,
      );
      expect(await vmStatus(t, vmIdOf(op))).toMatch(/DELETING|DEAD/);
    });

    it('fails a GPU allocation naming the missing GPU when the only GPU node is taken', async () => {
      const t = await start({ LZY_ALLOCATOR_UNSCHEDULABLE_DEADLINE_MS: '1000' });
      const [alice, bob] = await Promise.all([createSession(t), createSession(t)]);
      const first = await allocate(t, allocateRequest(alice, { poolLabel: 'gpu' }));
      await boundNode(vmIdOf(first));
      const second = await allocate(t, allocateRequest(bob, { poolLabel: 'gpu' }));
      const error = errorOf(await waitDone(t, second.id));
      expect(error.message).toMatch(/could not be scheduled .*Insufficient nvidia\.com\/gpu/);
    });

    it('keeps one VM per node: a fourth VM of the three-node pool s waits, then fails', async () => {
      const t = await start({ LZY_ALLOCATOR_UNSCHEDULABLE_DEADLINE_MS: '1500' });
      const sessionId = await createSession(t);
      const placed = await Promise.all(
        [1, 2, 3].map(() => allocate(t, allocateRequest(sessionId))),
      );
      const nodes = await Promise.all(placed.map((op) => boundNode(vmIdOf(op))));
      expect(new Set(nodes.map((n) => n.node.metadata?.name)).size).toBe(3);
      const fourth = await allocate(t, allocateRequest(sessionId));
      const error = errorOf(await waitDone(t, fourth.id));
      expect(error.message).toMatch(/could not be scheduled .*anti-affinity/);
    });

    it('fails the VM whose node is deleted, naming the node', async () => {
      const t = await start();
      const sessionId = await createSession(t);
      const op = await allocate(t, allocateRequest(sessionId));
      const { node } = await boundNode(vmIdOf(op));
      const name = node.metadata?.name ?? '';
      await ns.core.worker.deleteNode({ name });
      try {
        const error = errorOf(await waitDone(t, op.id));
        expect(error.message).toContain(`node ${name} under pod`);
        await waitStatus(t, vmIdOf(op), 'VM_STATUS_DEAD');
      } finally {
        await recreateNode(ns, node);
      }
    });

    it('adopts its pods after a restart, fails VMs whose pod vanished and deletes orphans', async () => {
      const first = await start();
      const sessionId = await createSession(first);
      const kept = await allocate(first, allocateRequest(sessionId));
      await registerAsVm(first, harness, vmIdOf(kept));
      await waitDone(first, kept.id);
      const lost = await allocate(first, allocateRequest(sessionId));
      await boundNode(vmIdOf(lost));
      await first.stop();
      const lostPod = await findVmPod(ns, vmIdOf(lost));
      await ns.core.worker.deleteNamespacedPod({
        name: lostPod?.pod.metadata?.name ?? '',
        namespace: ns.name,
        gracePeriodSeconds: 0,
      });
      await createOrphanPod(ns);

      const second: TestAllocator = await start();
      expect(await vmStatus(second, vmIdOf(kept))).toBe('VM_STATUS_RUNNING');
      expect((await findVmPod(ns, vmIdOf(kept)))?.pod.metadata?.deletionTimestamp).toBeUndefined();
      expect(await vmStatus(second, vmIdOf(lost))).toBe('VM_STATUS_DEAD');
      const orphan = await ns.core.worker
        .readNamespacedPod({ name: 'lzy-vm-orphan', namespace: ns.name })
        .then((p) => p.metadata?.deletionTimestamp !== undefined)
        .catch((err: unknown) => isNotFound(err));
      expect(orphan).toBe(true);
    });
  });
}

/** A pod labelled as a VM that no allocator row knows. */
async function createOrphanPod(ns: KubeTestNamespace): Promise<void> {
  await ns.core.worker.createNamespacedPod({
    namespace: ns.name,
    body: {
      metadata: {
        name: 'lzy-vm-orphan',
        labels: { 'lzy.ai/app': 'vm' },
        annotations: { 'lzy.ai/vm-id': 'vm-s-orphan' },
      },
      spec: {
        nodeSelector: { 'lzy.ai/node-pool-label': 'm' },
        containers: [{ name: 'worker', image: 'lzy-ts/worker:test' }],
      },
    },
  });
}

/** Puts a deleted KWOK node back as it was (KWOK adopts it again). */
async function recreateNode(ns: KubeTestNamespace, node: V1Node): Promise<void> {
  const { name, labels, annotations } = node.metadata ?? {};
  await ns.core.worker.createNode({
    body: {
      metadata: { name, labels, annotations },
      spec: { taints: node.spec?.taints ?? [] },
      status: { capacity: node.status?.capacity, allocatable: node.status?.allocatable },
    },
  });
}
