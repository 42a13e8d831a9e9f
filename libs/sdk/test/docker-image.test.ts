import { execFile } from 'node:child_process';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CleanupStack } from '@lzy/testing';
import { workflow } from '../src/index.ts';
import type { ClientConfig } from '../src/index.ts';

// The `dockerImage` option (pylzy's docker_image): the op runs inside that image on a worker of
// the local suite (podman; issue 15), with its shipped module, the worker's node and SDK mounted.

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const run = promisify(execFile);

describe('an op that names an image', () => {
  const cleanup = new CleanupStack();
  let config: ClientConfig;
  let whereAmI: (prefix: string) => PromiseLike<string>;

  beforeAll(async () => {
    const { stdout } = await run('bash', [join(REPO, 'docker', 'podman-build.sh'), '--bases']);
    process.env['LZY_TEST_OP_IMAGE'] = stdout.trim().split('\n').at(-1) ?? '';
    ({ whereAmI } = await import('./fixtures/image-ops.ts'));
    const { startSdkSuite } = await import('./sdk-suite.ts');
    // podman on this machine: runc (crun fails) with its default ulimits off.
    const cache = join(process.env['XDG_CACHE_HOME'] ?? join(homedir(), '.cache'), 'lzy-ts');
    config = await startSdkSuite(cleanup, {
      prefix: 'sdk-image',
      allocatorEnv: {
        LZY_ALLOCATOR_LOCAL_VM_ENV_PASSTHROUGH:
          'LZY_LOG_LEVEL,LZY_WORKER_UV,LZY_WORKER_PYTHONS,LZY_WORKER_ENV_CACHE_DIR,LZY_WORKER_PODMAN_ARGS',
        LZY_WORKER_PODMAN_ARGS: '--runtime runc',
        CONTAINERS_CONF: join(cache, 'images', 'containers.conf'),
      },
    });
  }, 600_000);
  afterAll(() => cleanup.close());

  it('runs in that image, not on the worker’s machine', async () => {
    const answer = await workflow('in-image', async () => await whereAmI('ran in'), {
      config,
      std: { stdout: () => undefined, stderr: () => undefined },
    });
    expect(answer).toBe('ran in bookworm container');
  });
});
