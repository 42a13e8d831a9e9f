#!/usr/bin/env node
import { runMain } from '@lzy/grpc';
import { loadPortalConfig } from './config.ts';
import { startPortal } from './service.ts';

await runMain({
  name: 'portal',
  env: process.env,
  loadConfig: loadPortalConfig,
  start: startPortal,
  logLevel: (config) => config.server.logLevel,
});
