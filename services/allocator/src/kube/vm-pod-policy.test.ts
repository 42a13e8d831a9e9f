import { describe, expect, it } from 'vitest';
import { PermissionDenied } from '@lzy/errors';
import { allocator } from '@lzy/proto';
import type { VmSpec, Workload } from '../domain/vm.ts';
import { checkVmPodPolicy } from './vm-pod-policy.ts';
import type { VmPodPolicy } from './vm-pod-policy.ts';

const policy: VmPodPolicy = {
  allowedImages: new Set(['registry.example/lzy-worker:1']),
  allowedHostPaths: new Set(['/var/lib/lzy-cache']),
  allowPrivileged: false,
};

function workload(image: string, volumeMounts: unknown[] = []): Workload {
  return { name: 'main', image, env: {}, args: [], ports: [], volumeMounts };
}

function spec(workloads: Workload[], volumes: unknown[] = []): VmSpec {
  return { initWorkloads: [], workloads, volumes };
}

describe('checkVmPodPolicy (an attacker asking Allocate for a pod that owns its node)', () => {
  it('lets the default image, an allowed image, emptyDir and an allowed host path through', () => {
    const volumes = [
      allocator.Volume.toJSON({
        name: 'scratch',
        source: { $case: 'emptyDir', value: { sizeLimitBytes: 0 } },
      }),
      allocator.Volume.toJSON({
        name: 'cache',
        source: { $case: 'hostPath', value: { path: '/var/lib/lzy-cache' } },
      }),
    ];
    expect(() =>
      checkVmPodPolicy(
        spec([workload(''), workload('registry.example/lzy-worker:1')], volumes),
        policy,
      ),
    ).not.toThrow();
  });

  it('refuses an image the installation does not run, naming it and the variable', () => {
    expect(() => checkVmPodPolicy(spec([workload('evil.example/rootkit:latest')]), policy)).toThrow(
      PermissionDenied,
    );
    expect(() => checkVmPodPolicy(spec([workload('evil.example/rootkit:latest')]), policy)).toThrow(
      /evil\.example\/rootkit:latest.*LZY_ALLOCATOR_ALLOWED_IMAGES/,
    );
  });

  it("refuses a hostPath volume of the node's root", () => {
    const volumes = [
      allocator.Volume.toJSON({
        name: 'root',
        source: { $case: 'hostPath', value: { path: '/' } },
      }),
    ];
    expect(() => checkVmPodPolicy(spec([workload('')], volumes), policy)).toThrow(
      /node's path \/,.*LZY_ALLOCATOR_ALLOWED_HOST_PATHS/,
    );
  });

  it('refuses Bidirectional propagation (a privileged container) unless allowed', () => {
    const mounts = [
      allocator.VolumeMount.toJSON({
        volumeName: 'scratch',
        mountPath: '/mnt',
        readOnly: false,
        mountPropagation: allocator.MountPropagation.MOUNT_PROPAGATION_BIDIRECTIONAL,
      }),
    ];
    expect(() => checkVmPodPolicy(spec([workload('', mounts)]), policy)).toThrow(PermissionDenied);
    expect(() =>
      checkVmPodPolicy(spec([workload('', mounts)]), { ...policy, allowPrivileged: true }),
    ).not.toThrow();
  });
});
