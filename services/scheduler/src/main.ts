#!/usr/bin/env node
import { runMain } from '@lzy/grpc';
import { loadSchedulerConfig } from './config.ts';
import { startScheduler } from './service.ts';

await runMain({
  name: 'scheduler',
  env: process.env,
  loadConfig: loadSchedulerConfig,
  start: startScheduler,
  logLevel: (config) => config.server.logLevel,
});
