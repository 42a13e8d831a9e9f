import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningCommand } from '../src/domain/command-process.ts';
import { PodmanOpRunner } from '../src/containers/podman-op-runner.ts';
import { opInImage, UnavailableOpRunner } from '../src/domain/op-image.ts';

// An op that names an image runs inside it (issue 15), here through podman as a worker that is a
// local process does: the task's mount directory and the local modules are mounted at the same
// paths. The image is the Debian base docker/podman-build.sh makes (cached in ~/.cache/lzy-ts).

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const run = promisify(execFile);
let image: string;
let scratch: string;
let runner: PodmanOpRunner;

beforeAll(async () => {
  const { stdout } = await run('bash', [join(REPO, 'docker', 'podman-build.sh'), '--bases'], {
    maxBuffer: 1 << 20,
  });
  image = stdout.trim().split('\n').at(-1) ?? '';
  const conf = join(
    process.env['XDG_CACHE_HOME'] ?? join(process.env['HOME'] ?? '/root', '.cache'),
    'lzy-ts',
    'images',
    'containers.conf',
  );
  runner = new PodmanOpRunner({
    podman: 'podman',
    extraArgs: ['--runtime', 'runc'],
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', CONTAINERS_CONF: conf },
  });
  scratch = await mkdtemp(join(tmpdir(), 'lzy-op-image-'));
}, 600_000);
afterAll(() => rm(scratch, { recursive: true, force: true }));

async function finish(cmd: RunningCommand): Promise<{ rc: number; out: string; err: string }> {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  cmd.stdout.on('data', (d: Buffer) => out.push(d));
  cmd.stderr.on('data', (d: Buffer) => err.push(d));
  const exit = await cmd.exited;
  return { rc: exit.rc, out: Buffer.concat(out).toString(), err: Buffer.concat(err).toString() };
}

describe('ops in their image', () => {
  it('runs the command inside the image with the mount directory and local modules mounted', async () => {
    const taskDir = await mkdtemp(join(scratch, 'task-'));
    const modules = await mkdtemp(join(scratch, 'modules-'));
    await writeFileSafe(join(modules, 'm.txt'), 'module');
    const result = await finish(
      runner.start(
        opInImage({
          image,
          command:
            'test -f /run/.containerenv && echo "in a container"; cat $LOCAL_MODULES/m.txt; ' +
            'grep -o bookworm /etc/os-release | head -1 > "$LZY_MOUNT/out"',
          cwd: taskDir,
          env: { LZY_MOUNT: taskDir, LOCAL_MODULES: modules },
          localModulesDir: modules,
        }),
      ),
    );
    expect(result.err).toBe('');
    expect(result.rc).toBe(0);
    expect(result.out).toBe('in a container\nmodule');
    expect((await readFile(join(taskDir, 'out'), 'utf8')).trim()).toBe('bookworm');
  }, 120_000);

  it("passes the op's exit code through", async () => {
    const taskDir = await mkdtemp(join(scratch, 'task-'));
    const result = await finish(
      runner.start(
        opInImage({ image, command: 'exit 7', cwd: taskDir, env: {}, localModulesDir: undefined }),
      ),
    );
    expect(result.rc).toBe(7);
  }, 120_000);

  it('fails with rc 97 naming the image where the worker cannot run images', async () => {
    const taskDir = await mkdtemp(join(scratch, 'task-'));
    const result = await finish(
      new UnavailableOpRunner('no container runtime here').start(
        opInImage({
          image: 'x/y:1',
          command: 'true',
          cwd: taskDir,
          env: {},
          localModulesDir: undefined,
        }),
      ),
    );
    expect(result.rc).toBe(97);
    expect(result.err).toContain('image x/y:1');
    expect(result.err).toContain('no container runtime here');
  });

  it("runs a TypeScript SDK op with the worker's own node and SDK, mounted read-only", () => {
    const op = opInImage({
      image: 'i',
      command: `'/client/node' '/client/sdk/src/op-runner.ts' '/m.ts' 'f' 'c' 2`,
      cwd: '/t',
      env: {},
      localModulesDir: undefined,
    });
    expect(op.command).toMatch(
      /^'[^']*node' '[^']*libs\/sdk\/src\/op-runner\.ts' '\/m\.ts' 'f' 'c' 2$/,
    );
    expect(op.readOnlyMounts).toContain(REPO.replace(/\/$/, ''));
  });
});

async function writeFileSafe(path: string, text: string): Promise<void> {
  const { writeFile } = await import('node:fs/promises');
  await writeFile(path, text);
}
