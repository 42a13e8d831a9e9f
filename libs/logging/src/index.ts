/**
 * @lzy/logging — pino JSON loggers with secret redaction (STYLE.md §7). main.ts makes the root
 * `{ service }` logger; the gRPC bootstrap makes a child per call `{ rid, rpc, subject }`;
 * components get `log.child({ component })`. Tests use `createLogger({ service, level: 'silent' })`.
 */
export { createLogger } from './create-logger.ts';
export type { Logger, CreateLoggerOptions } from './create-logger.ts';
