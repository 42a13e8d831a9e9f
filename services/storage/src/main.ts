#!/usr/bin/env node
import { runMain } from '@lzy/grpc';
import { loadStorageConfig } from './config.ts';
import { startStorage } from './service.ts';

await runMain({
  name: 'storage',
  env: process.env,
  loadConfig: loadStorageConfig,
  start: startStorage,
  logLevel: (config) => config.server.logLevel,
});
