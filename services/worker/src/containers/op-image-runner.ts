import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';
import type { WorkerConfig } from '../config.ts';
import { UnavailableOpRunner } from '../domain/op-image.ts';
import type { OpImageRunnerPort } from '../domain/op-image.ts';
import { PodmanOpRunner } from './podman-op-runner.ts';

/** The runner LZY_WORKER_OP_IMAGE_RUNTIME asks for; podman is looked up on `path`. */
export function createOpImageRunner(
  config: WorkerConfig['opImages'],
  path: string,
): OpImageRunnerPort {
  if (config.runtime === 'none') {
    return new UnavailableOpRunner(
      'this worker has no container runtime (LZY_WORKER_OP_IMAGE_RUNTIME=none; in Kubernetes ' +
        'worker pods ops cannot run in their own image yet)',
    );
  }
  const podman = path
    .split(':')
    .map((dir) => join(dir, 'podman'))
    .find((file) => {
      try {
        accessSync(file, constants.X_OK);
        return true;
      } catch {
        return false;
      }
    });
  if (podman === undefined) {
    return new UnavailableOpRunner(
      `podman is not installed on the worker's machine (PATH ${path}); install it or run the op without an image`,
    );
  }
  return new PodmanOpRunner({
    podman,
    extraArgs: config.podmanArgs,
    env: {
      PATH: path,
      ...(config.containersConf === undefined ? {} : { CONTAINERS_CONF: config.containersConf }),
    },
  });
}
