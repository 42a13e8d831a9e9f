#!/usr/bin/env node
import { runMain } from '@lzy/grpc';
import { loadPortalConfig } from './config.ts';
import { startPortal } from './service.ts';

await runMain({
  name: 'portal',
  env: process.env,
  loadConfig: loadPortalConfig,
  // Stop RPC / VM gone: leave through the normal SIGTERM path (drain, then exit 0).
  start: (config, deps) =>
    startPortal(config, { ...deps, onStopRequested: () => process.kill(process.pid, 'SIGTERM') }),
  logLevel: (config) => config.server.logLevel,
});
