import { ConfigError, loadTracingConfig } from '@lzy/config';
import type { TracingConfig } from '@lzy/config';
import type { Env } from '@lzy/config';
import { createLogger } from '@lzy/logging';
import type { CreateLoggerOptions, Logger } from '@lzy/logging';
import { startTracing } from './tracing.ts';

/** What a service's start function returns. Ports, when given, are logged. */
export interface StartedService {
  stop(): Promise<void>;
  port?: number;
  metricsPort?: number;
}

export interface RunMainOptions<Config> {
  /** Service name: the `service` field of every log line. */
  name: string;
  /** The environment; main.ts passes `process.env` (only it and config.ts may read it). */
  env: Env;
  /** The service's config loader; throws ConfigError naming every bad variable. */
  loadConfig: (env: Env) => Config;
  start: (config: Config, deps: { log: Logger }) => Promise<StartedService>;
  /** Picks the log level from the config. Default `info`. */
  logLevel?: (config: Config) => string;
  /** Where the JSON log lines go, from the config. Default: stdout. */
  logDestination?: (config: Config) => CreateLoggerOptions['destination'];
}

/**
 * The process half of a service (STYLE.md §1 main.ts): parse config, make the root logger,
 * set up tracing (OTEL_EXPORTER_OTLP_ENDPOINT, LZY_TRACE_FILE: see startTracing), start, log the
 * ports, stop once on SIGTERM/SIGINT (spans still buffered are exported before exit).
 * Exit codes: 2 bad configuration (every bad variable on stderr), 1 start or stop failure,
 * 0 clean stop.
 */
export async function runMain<Config>(options: RunMainOptions<Config>): Promise<void> {
  let config: Config;
  let tracingConfig: TracingConfig;
  try {
    config = options.loadConfig(options.env);
    tracingConfig = loadTracingConfig(options.env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`${options.name}: ${err.message}\n`);
    process.exit(2);
  }
  const log = createLogger({
    service: options.name,
    level: options.logLevel?.(config) ?? 'info',
    destination: options.logDestination?.(config),
  });
  process.on('uncaughtException', (err) => {
    log.fatal({ err }, 'uncaught exception');
    process.exit(1);
  });
  process.on('unhandledRejection', (err) => {
    log.fatal({ err }, 'unhandled promise rejection');
    process.exit(1);
  });

  // Before the service starts: its servers and clients pick the provider up at their first span.
  const tracing = startTracing(tracingConfig, options.name);
  let service: StartedService;
  try {
    service = await options.start(config, { log });
  } catch (err) {
    log.fatal({ err }, 'start failed');
    process.exit(1);
  }
  log.info({ port: service.port, metricsPort: service.metricsPort }, 'started');

  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      log.warn({ signal }, 'second signal while stopping; exiting now');
      process.exit(1);
    }
    stopping = true;
    log.info({ signal }, 'stopping');
    service
      .stop()
      .then(() => tracing.shutdown())
      .then(
        () => {
          log.info('stopped');
          process.exit(0);
        },
        (err: unknown) => {
          log.fatal({ err }, 'stop failed');
          process.exit(1);
        },
      );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
