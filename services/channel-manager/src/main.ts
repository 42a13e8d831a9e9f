#!/usr/bin/env node
import { runMain } from '@lzy/grpc';
import { loadChannelManagerConfig } from './config.ts';
import { startChannelManager } from './service.ts';

await runMain({
  name: 'channel-manager',
  env: process.env,
  loadConfig: loadChannelManagerConfig,
  start: startChannelManager,
  logLevel: (config) => config.server.logLevel,
});
