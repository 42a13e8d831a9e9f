import { allocator } from '@lzy/proto';
import { PermissionDenied } from '@lzy/errors';
import type { VmSpec } from '../domain/vm.ts';

/**
 * What an Allocate may put into a VM pod (issue 13, item 6). VM pods run users' code, so the
 * installation decides which images run there and whether a pod may touch its node: by default
 * only the configured worker and portal images, no hostPath volume, no Bidirectional mount (it
 * needs a privileged container).
 */
export interface VmPodPolicy {
  /** Images a workload may name ('' always means the cluster's default image). */
  readonly allowedImages: ReadonlySet<string>;
  /** Host paths a hostPath volume may name (exact paths); empty: none. */
  readonly allowedHostPaths: ReadonlySet<string>;
  /** Bidirectional mount propagation (a privileged container). */
  readonly allowPrivileged: boolean;
}

/** @throws PermissionDenied naming what the spec asks for and the variable that would allow it. */
export function checkVmPodPolicy(spec: VmSpec, policy: VmPodPolicy): void {
  for (const workload of [...spec.initWorkloads, ...spec.workloads]) {
    if (workload.image !== '' && !policy.allowedImages.has(workload.image)) {
      throw new PermissionDenied(
        `Workload '${workload.name}' asks for image '${workload.image}', which this installation ` +
          `does not run in VM pods (allowed: ${[...policy.allowedImages].join(', ') || 'none'}; ` +
          `an operator adds images with LZY_ALLOCATOR_ALLOWED_IMAGES)`,
      );
    }
    for (const json of workload.volumeMounts) {
      const mount = allocator.VolumeMount.fromJSON(json);
      if (
        !policy.allowPrivileged &&
        mount.mountPropagation === allocator.MountPropagation.MOUNT_PROPAGATION_BIDIRECTIONAL
      ) {
        throw new PermissionDenied(
          `Workload '${workload.name}' asks for Bidirectional propagation at ${mount.mountPath}: ` +
            'that needs a privileged container, which this installation does not allow ' +
            '(LZY_ALLOCATOR_ALLOW_PRIVILEGED_VMS)',
        );
      }
    }
  }
  for (const json of spec.volumes) {
    const volume = allocator.Volume.fromJSON(json);
    if (volume.source?.$case !== 'hostPath') continue;
    const path = volume.source.value.path;
    if (!policy.allowedHostPaths.has(path)) {
      throw new PermissionDenied(
        `Volume '${volume.name}' asks for the node's path ${path}, which VM pods may not mount ` +
          '(an operator allows exact paths with LZY_ALLOCATOR_ALLOWED_HOST_PATHS)',
      );
    }
  }
}
