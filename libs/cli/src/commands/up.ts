import { once } from 'node:events';
import type { CliIo } from '../cli-io.ts';

/**
 * `lzy up`: what `pnpm start` does — the local suite from the LZY_* environment — kept up until
 * SIGINT/SIGTERM, then stopped (VMs, services, S3, PostgreSQL). Returns 0 after a clean stop.
 * @throws ConfigError for bad LZY_* variables; whatever startUp throws when it cannot start.
 */
export async function runUp(io: CliIo): Promise<number> {
  // Loaded here, not at the top: it pulls in all eleven services, which the other commands
  // do not need (and `lzy status` should start in milliseconds).
  const { loadLocalSuiteConfig, startUp } = await import('@lzy/local-suite');
  const up = await startUp(loadLocalSuiteConfig(io.env));
  try {
    io.stdout.write(
      `LZY local suite is up.\n  public endpoint: ${up.endpoint}\n  client config:   ${up.clientConfigPath}\n` +
        'Press Ctrl-C to stop.\n',
    );
    if (!io.signal.aborted) await once(io.signal, 'abort');
    io.stdout.write('Stopping the local suite…\n');
  } finally {
    await up.stop();
  }
  io.stdout.write('Stopped.\n');
  return 0;
}
