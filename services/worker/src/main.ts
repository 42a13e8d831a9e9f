#!/usr/bin/env node
import { runMain } from '@lzy/grpc';
import { loadWorkerConfig } from './config.ts';
import { startWorker } from './service.ts';

await runMain({
  name: 'worker',
  env: process.env,
  loadConfig: loadWorkerConfig,
  start: startWorker,
  logLevel: (config) => config.server.logLevel,
});
