#!/usr/bin/env node
// `lzy`: the process around runCli — real streams and environment, signals become an abort.
import { homedir } from 'node:os';
import { runCli } from './run-cli.ts';

const stop = new AbortController();
const onSignal = (signal: NodeJS.Signals) => {
  // A second Ctrl-C while stopping (e.g. `lzy up` tearing down) gives up at once.
  if (stop.signal.aborted) process.exit(1);
  stop.abort(signal);
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

const code = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  signal: stop.signal,
  cwd: process.cwd(),
  homeDir: homedir(),
  childStdio: 'inherit',
});
// Explicit: a gRPC channel or a child's handle must not keep a finished command alive.
process.exit(code);
