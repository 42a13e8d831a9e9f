#!/usr/bin/env node
import { runMain } from '@lzy/grpc';
import { loadAllocatorConfig } from './config.ts';
import { startAllocator } from './service.ts';

await runMain({
  name: 'allocator',
  env: process.env,
  loadConfig: loadAllocatorConfig,
  start: startAllocator,
  logLevel: (config) => config.server.logLevel,
});
