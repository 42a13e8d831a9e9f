import { pino } from 'pino';
import type { DestinationStream, Logger as PinoLogger } from 'pino';

/** The logger every component takes in its deps (`log.child({ component })`). */
export type Logger = PinoLogger;

export interface CreateLoggerOptions {
  /** Service name, on every line as `service` (STYLE.md §7). */
  service: string;
  /** Pino level name; `silent` for tests. Default `info`. */
  level?: string;
  /** Where JSON lines go. Default: stdout. Tests pass a memory stream. */
  destination?: DestinationStream;
}

// Keys whose values never reach the log, whatever object they sit in. Redaction matches exact
// paths, so each key is listed at the top level and up to three levels deep (`meta.headers.x`).
const SECRET_KEYS = [
  'authorization',
  'cookie',
  'token',
  'accessToken',
  'refreshToken',
  'sessionToken',
  'secret',
  'password',
  'privateKey',
  'privateKeyPem',
  'credentials',
  'accessKeyId',
  'secretAccessKey',
];
const REDACT_PATHS = SECRET_KEYS.flatMap((key) => [key, `*.${key}`, `*.*.${key}`, `*.*.*.${key}`]);

/**
 * Creates the root JSON logger of a process: `{ level, time, service, msg, … }` per line, secrets
 * redacted as "[redacted]". Only main.ts (via runMain) and tests create loggers; everything else
 * gets a child through its deps.
 */
export function createLogger(options: CreateLoggerOptions): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { service: options.service },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    },
    // Synchronous stdout: a process exiting right after an error still prints its last lines.
    options.destination ?? pino.destination({ dest: 1, sync: true }),
  );
}
