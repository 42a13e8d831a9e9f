#!/usr/bin/env node
import { runMain } from '@lzy/grpc';
import { loadWhiteboardConfig } from './config.ts';
import { startWhiteboard } from './service.ts';

await runMain({
  name: 'whiteboard',
  env: process.env,
  loadConfig: loadWhiteboardConfig,
  start: startWhiteboard,
  logLevel: (config) => config.server.logLevel,
});
