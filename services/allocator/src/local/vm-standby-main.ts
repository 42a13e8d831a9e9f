#!/usr/bin/env node
/**
 * A standby VM process of the local backend (vm-standbys.ts): `node vm-standby-main.ts <main.ts>`.
 *
 * Started with the environment every VM process inherits and nothing of a VM's own (no id,
 * token, key, addresses), it loads the main's modules: its `config.ts` and `service.ts` beside it
 * (STYLE.md §1: main.ts only runs the process; those two hold its whole module graph), writes
 * their compiled code to Node's compile cache when one is set (NODE_COMPILE_CACHE) and closes
 * its fd 3 to say it is loaded. Then it blocks reading its stdin until the allocator writes one
 * hand-over (vm-hand-over.ts) and closes it. Only then does it become that VM: the environment
 * replaced by the VM's, argv made the main's, the main imported, which starts and registers as
 * a directly started VM does. End of stdin without a message (the allocator stopped or died)
 * ends the process.
 */
import { closeSync, existsSync, openSync } from 'node:fs';
import { flushCompileCache } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseHandOver } from './vm-hand-over.ts';

const mainPath = process.argv[2];
if (mainPath === undefined) {
  process.stderr.write('usage: vm-standby-main.ts <main.ts>\n');
  process.exit(2);
}

for (const sibling of ['config.ts', 'service.ts']) {
  const path = join(dirname(mainPath), sibling);
  if (existsSync(path)) await import(pathToFileURL(path).href);
}
flushCompileCache();
try {
  closeSync(3); // tells the allocator we are loaded (vm-spawn.ts: loadedSignal)
} catch {
  // not started by the allocator's backend: nobody waits for it
}

// Read as a stream: a module loaded above may have opened stdin already, which makes the pipe
// non-blocking (a synchronous read then fails with EAGAIN). No signal handler is installed
// before the main's own, so SIGTERM ends a standby as it would any process.
const chunks: Buffer[] = [];
for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
process.stdin.destroy();
const message = Buffer.concat(chunks).toString('utf8');
if (message === '') process.exit(0);
const handOver = parseHandOver(message);

// eslint-disable-next-line no-restricted-properties -- a VM's entry point takes its environment, as a main.ts does
const env = process.env;
for (const name of Object.keys(env)) delete env[name];
Object.assign(env, handOver.env);
process.argv = [process.execPath, mainPath, ...handOver.args];
openSync(handOver.scratchDir, 'r'); // held until exit: names this VM (see VmHandOver.scratchDir)
await import(pathToFileURL(mainPath).href);
