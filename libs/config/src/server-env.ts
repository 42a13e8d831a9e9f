import { z } from 'zod';
import { durationMs, logLevel, port } from './fields.ts';

/**
 * The variables every service process reads to serve gRPC. Names carry no service prefix: each
 * service runs in its own process or pod with its own environment, and the local suite builds
 * configs from plain objects, never from one shared environment.
 */
export function serverEnvShape(defaults: { port: number }) {
  return {
    /** Interface to bind: 127.0.0.1 locally, 0.0.0.0 in a pod. */
    LZY_HOST: z.string().min(1, { error: 'expected a host or IP to bind' }).default('127.0.0.1'),
    /** gRPC port (health check on the same port); 0 picks a free one. */
    LZY_PORT: port().default(defaults.port),
    /** Port of /metrics and /healthz over HTTP; unset = no metrics endpoint. */
    LZY_METRICS_PORT: port().optional(),
    LZY_LOG_LEVEL: logLevel().default('info'),
    /** How long SIGTERM lets in-flight calls finish before cancelling them (ms). */
    LZY_SHUTDOWN_GRACE_MS: durationMs().default(10_000),
  };
}

type ServerEnv = z.output<z.ZodObject<ReturnType<typeof serverEnvShape>>>;

/** Where and how a service serves gRPC; spread into startGrpcServer's options. */
export interface ServerConfig {
  host: string;
  port: number;
  metricsPort?: number;
  logLevel: ServerEnv['LZY_LOG_LEVEL'];
  shutdownGraceMs: number;
}

/** Maps the parsed variables of serverEnvShape to a ServerConfig. */
export function toServerConfig(env: ServerEnv): ServerConfig {
  return {
    host: env.LZY_HOST,
    port: env.LZY_PORT,
    metricsPort: env.LZY_METRICS_PORT,
    logLevel: env.LZY_LOG_LEVEL,
    shutdownGraceMs: env.LZY_SHUTDOWN_GRACE_MS,
  };
}
