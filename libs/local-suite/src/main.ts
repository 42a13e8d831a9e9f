#!/usr/bin/env node
// `pnpm start` (README's main job): every service of the embedded default in this process.
import { runMain } from '@lzy/grpc';
import { loadLocalSuiteConfig } from './config.ts';
import { startLocalSuite } from './local-suite.ts';

await runMain({
  name: 'lzy-local',
  env: process.env,
  loadConfig: loadLocalSuiteConfig,
  logLevel: (config) => config.logLevel,
  start: async (config, { log }) => {
    const suite = await startLocalSuite({
      log,
      host: config.host,
      randomPorts: config.randomPorts,
    });
    for (const [name, port] of Object.entries(suite.ports))
      log.info({ name, port }, 'service listening');
    process.stdout.write(
      `LZY local suite is up: public endpoint ${config.host}:${suite.ports['lzy-service']}\n`,
    );
    return { port: suite.ports['lzy-service'], stop: () => suite.stop() };
  },
});
