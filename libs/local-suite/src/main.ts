#!/usr/bin/env node
// `pnpm start` / `lzy up` (README's main job): the embedded default, every service on loopback.
import { runMain } from '@lzy/grpc';
import { loadLocalSuiteConfig } from './config.ts';
import { startUp } from './up.ts';

await runMain({
  name: 'lzy-local',
  env: process.env,
  loadConfig: loadLocalSuiteConfig,
  logLevel: (config) => config.logLevel,
  start: async (config) => {
    const up = await startUp(config);
    process.stdout.write(
      `LZY local suite is up.\n  public endpoint: ${up.endpoint}\n  client config:   ${up.clientConfigPath}\n`,
    );
    return { stop: () => up.stop() };
  },
});
