#!/usr/bin/env node
import { runMain } from '@lzy/grpc';
import { loadWorkerConfig } from './config.ts';
import { startWorker } from './service.ts';

await runMain({
  name: 'worker',
  env: process.env,
  loadConfig: loadWorkerConfig,
  // A VM the allocator forgot must not linger: SIGTERM ourselves into the normal stop path.
  start: (config, deps) =>
    startWorker(config, { ...deps, onVmGone: () => process.kill(process.pid, 'SIGTERM') }),
  logLevel: (config) => config.server.logLevel,
});
