#!/usr/bin/env node
/**
 * The warm op host: a long-lived Node process a worker keeps per VM to run SDK op calls without
 * a process start per op (services/worker/src/domain/op-host.ts is the other side). It loads the
 * op runner once; user modules stay in the ESM cache across calls, so a module's top-level code
 * runs once per host.
 *
 * Protocol over the IPC channel (one call at a time): the worker sends `{ kind: 'run', id, argv,
 * env, cwd, endMark }` (argv as op-runner.ts takes it); the host sets process.env to exactly
 * `env`, changes to `cwd`, runs the call, writes `endMark` to stdout and then to stderr (so the
 * worker knows every byte before it belongs to this call) and answers `{ kind: 'done', id, rc }`
 * (0, or 1 after printing the error, as op-runner.ts exits). When a file the host loaded
 * (outside node_modules) changed since, it answers `{ kind: 'stale', id }` without running and
 * exits: the worker reruns the call on a fresh host. The host sends `{ kind: 'ready' }` once at
 * start and exits when the worker goes away (the IPC channel closes).
 */
import { statSync } from 'node:fs';
import { registerHooks } from 'node:module';
import { fileURLToPath } from 'node:url';

interface RunMessage {
  kind: 'run';
  id: number;
  argv: string[];
  env: Record<string, string>;
  cwd: string;
  endMark: string;
}

/** Files loaded so far (outside node_modules) and their stat signature at load time. */
const loadedFiles = new Map<string, string>();

function signatureOf(path: string): string {
  try {
    const s = statSync(path);
    return `${s.ino}:${s.size}:${s.mtimeMs}:${s.ctimeMs}`;
  } catch {
    return 'missing';
  }
}

registerHooks({
  load(url, context, nextLoad) {
    if (url.startsWith('file:')) {
      const path = fileURLToPath(url);
      if (!path.includes('/node_modules/') && !loadedFiles.has(path))
        loadedFiles.set(path, signatureOf(path));
    }
    return nextLoad(url, context);
  },
});

const { describeOpError, runOpCall } = await import('./op-call.ts');
const RUNNER_PATH = import.meta.filename.replace(/op-host(\.[cm]?[jt]s)$/, 'op-runner$1');

function isStale(): boolean {
  for (const [path, signature] of loadedFiles) if (signatureOf(path) !== signature) return true;
  return false;
}

function send(message: object): Promise<void> {
  return new Promise((resolve) => {
    if (process.send === undefined || !process.connected) return resolve();
    process.send(message, undefined, {}, () => resolve());
  });
}

/**
 * The call's environment becomes the process's, exactly as a fresh `node op-runner.ts` would
 * see it (the op reads LZY_MOUNT through config.ts#opMountDir, user code reads what it likes).
 * This process entry is the one place besides config.ts that touches process.env.
 */
function setEnvironment(env: Record<string, string>): void {
  // eslint-disable-next-line no-restricted-properties -- the host sets each call's environment
  const current = process.env;
  for (const name of Object.keys(current)) if (!Object.hasOwn(env, name)) delete current[name];
  Object.assign(current, env);
}

async function run(message: RunMessage): Promise<void> {
  if (isStale()) {
    await send({ kind: 'stale', id: message.id });
    process.exit(0);
  }
  setEnvironment(message.env);
  process.chdir(message.cwd);
  // As the one-shot runner sees them: `node <op-runner> <module> <export> <callId> <nArgs>`.
  process.argv = [process.execPath, RUNNER_PATH, ...message.argv];
  let rc = 0;
  try {
    await runOpCall(message.argv);
  } catch (err) {
    process.stderr.write(describeOpError(err));
    rc = 1;
  }
  // op-runner.ts ends with an explicit exit code; a user's process.exitCode never counts.
  process.exitCode = undefined;
  // Not awaited: the worker ends the call only once it read both marks and this answer.
  process.stdout.write(message.endMark);
  process.stderr.write(message.endMark);
  await send({ kind: 'done', id: message.id, rc });
}

let queue = Promise.resolve();
process.on('message', (message: RunMessage) => {
  if (message.kind !== 'run') return;
  queue = queue.then(() => run(message));
});
// The worker is gone (killed, or it stopped): nothing can use this host any more.
process.on('disconnect', () => process.exit(0));
await send({ kind: 'ready' });
