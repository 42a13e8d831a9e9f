import type { Env } from '@lzy/config';
import { runMain } from '@lzy/grpc';
import { loadLocalSuiteConfig } from './config.ts';
import { runExample } from './run-example.ts';
import type { RunningExample } from './run-example.ts';
import { summaryLines } from './summary.ts';
import { openSuiteOutput } from './suite-output.ts';
import type { SuiteOutput } from './suite-output.ts';
import { startUp } from './up.ts';

/**
 * `pnpm start` / `lzy up` as a process (main.ts): the embedded default, every service on
 * loopback, then the fan-out example run against it; the suite stays up until Ctrl-C.
 */
export async function runUp(env: Env): Promise<void> {
  let output: SuiteOutput | undefined;
  await runMain({
    name: 'lzy-local',
    env,
    loadConfig: loadLocalSuiteConfig,
    logLevel: (config) => config.logLevel,
    logDestination: (config) => {
      output = openSuiteOutput({
        format: config.logFormat,
        logsDir: config.logsDir,
        terminal: process.stdout,
      });
      return output.destination;
    },
    start: async (config) => {
      const out = output!;
      const startedAt = performance.now();
      out.say(`Starting LZY in ${config.home} ...`);
      const up = await startUp(config, { logDestination: out.destination, vmLogDir: out.vmLogDir });
      const elapsedMs = performance.now() - startedAt;
      const siteLoginLink = await up.siteLoginLink().catch(() => '');
      for (const line of summaryLines(config, up, {
        elapsedMs,
        logPath: out.logPath,
        siteLoginLink,
      }))
        out.say(line);
      let example: RunningExample | undefined;
      if (config.example !== '') {
        out.say(`Running ${config.example}`);
        example = runExample(config.example, up.clientConfigPath, env);
        void example.exited.then((code) =>
          out.say(`${config.example} exited with ${code}; LZY stays up (Ctrl-C stops it).`),
        );
      }
      return {
        stop: async () => {
          out.say('Stopping LZY ...');
          await example?.stop();
          await up.stop();
          out.say('LZY stopped. Bye.');
          out.close();
        },
      };
    },
  });
}
