#!/usr/bin/env node
import { runMain } from '@lzy/grpc';
import { loadGraphExecutorConfig } from './config.ts';
import { startGraphExecutor } from './service.ts';

await runMain({
  name: 'graph-executor',
  env: process.env,
  loadConfig: loadGraphExecutorConfig,
  start: startGraphExecutor,
  logLevel: (config) => config.server.logLevel,
});
