#!/usr/bin/env node
import { runMain } from '@lzy/grpc';
import { loadLzyServiceConfig } from './config.ts';
import { startLzyService } from './service.ts';

await runMain({
  name: 'lzy-service',
  env: process.env,
  loadConfig: loadLzyServiceConfig,
  start: startLzyService,
  logLevel: (config) => config.server.logLevel,
});
