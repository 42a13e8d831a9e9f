#!/usr/bin/env node
/**
 * Runs one op call on a worker: `node op-runner.ts <module path> <export> <callId> <nArgs>`
 * (op-call.ts). An exception goes to stderr (message and stack) and the exit code is 1.
 * A worker may instead run the same command in its warm host (op-host.ts, a sibling of this
 * file): it recognises exactly this runner's path and arguments.
 */
import { describeOpError, runOpCall } from './op-call.ts';

runOpCall(process.argv.slice(2)).then(
  // An op may leave timers or sockets open; the result is written, so the process is done.
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(describeOpError(err));
    process.exit(1);
  },
);
