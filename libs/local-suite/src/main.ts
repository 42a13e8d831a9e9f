#!/usr/bin/env node
// `pnpm start` / `lzy up` (README's main job): the embedded default, every service on loopback,
// then the fan-out example run against it; the suite stays up until Ctrl-C.
import { runMain } from '@lzy/grpc';
import { loadLocalSuiteConfig } from './config.ts';
import { runExample } from './run-example.ts';
import type { RunningExample } from './run-example.ts';
import { startUp } from './up.ts';

await runMain({
  name: 'lzy-local',
  env: process.env,
  loadConfig: loadLocalSuiteConfig,
  logLevel: (config) => config.logLevel,
  start: async (config) => {
    const up = await startUp(config);
    process.stdout.write(
      `LZY local suite is up.\n  public endpoint: ${up.endpoint}\n  client config:   ${up.clientConfigPath}\n` +
        `  database:        ${up.database === 'pglite' ? `PGlite in ${config.pgliteDir}` : `PostgreSQL in ${config.postgresDir}`}\n`,
    );
    let example: RunningExample | undefined;
    if (config.example !== '') {
      process.stdout.write(`Running ${config.example}\n`);
      example = runExample(config.example, up.clientConfigPath, process.env);
      void example.exited.then((code) =>
        process.stdout.write(
          `${config.example} exited with ${code}; the suite stays up (Ctrl-C stops it).\n`,
        ),
      );
    }
    return {
      stop: async () => {
        await example?.stop();
        await up.stop();
      },
    };
  },
});
