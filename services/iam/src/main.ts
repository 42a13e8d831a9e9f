#!/usr/bin/env node
import { runMain } from '@lzy/grpc';
import { loadIamConfig } from './config.ts';
import { startIam } from './service.ts';

await runMain({
  name: 'iam',
  env: process.env,
  loadConfig: loadIamConfig,
  start: startIam,
  logLevel: (config) => config.server.logLevel,
});
