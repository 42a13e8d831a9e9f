#!/usr/bin/env node
import { runMain } from '@lzy/grpc';
import { loadSiteConfig } from './config.ts';
import { startSite } from './service.ts';

await runMain({
  name: 'site',
  env: process.env,
  loadConfig: loadSiteConfig,
  start: startSite,
  logLevel: (config) => config.server.logLevel,
});
