import { z } from 'zod';
import { hostPort, loadConfig, serverEnvShape, toServerConfig } from '@lzy/config';
import type { Env, ServerConfig } from '@lzy/config';

/** grpc-python (pylzy) receives at most 4 MiB per message by default (public-api.md §5). */
const CLIENT_MAX_RECEIVE_BYTES = 4 * 1024 * 1024;

const schema = z
  .object({
    ...serverEnvShape({ port: 8122 }),
    /** The whiteboard database; the default is the local suite's layout (one database per service). */
    LZY_DB_URL: z
      .string()
      .regex(/^postgres(ql)?:\/\//, { error: 'expected a postgres:// URL' })
      .default('postgres://postgres@127.0.0.1:5432/lzy_whiteboard'),
    /** iam: Authenticate on every inbound call, access bindings and checks per whiteboard. */
    LZY_IAM_ADDRESS: hostPort().default('127.0.0.1:8443'),
    /**
     * PEM private key of the internal identity `lzy-internal`, signing our calls to iam's access
     * services. Unset: those calls go without a token and iam refuses them, so Register/Get/Update
     * fail (a warning is logged at start); only for a process that serves health alone.
     */
    LZY_INTERNAL_PRIVATE_KEY: z.string().min(1).optional(),
    /**
     * Largest response (bytes) we send: List has no pagination (public-api.md §5), and an answer
     * pylzy cannot receive is worse than a RESOURCE_EXHAUSTED telling the user to narrow the
     * filter. Default 4 MiB minus 64 KiB of headroom.
     */
    LZY_MAX_RESPONSE_BYTES: z
      .string()
      .regex(/^\d+$/, { error: 'expected a positive integer number of bytes' })
      .transform(Number)
      .default(CLIENT_MAX_RECEIVE_BYTES - 64 * 1024),
  })
  .transform((env) => ({
    server: toServerConfig(env),
    dbUrl: env.LZY_DB_URL,
    iamAddress: env.LZY_IAM_ADDRESS,
    internalPrivateKeyPem: env.LZY_INTERNAL_PRIVATE_KEY,
    maxResponseBytes: env.LZY_MAX_RESPONSE_BYTES,
  }));

export interface WhiteboardConfig {
  server: ServerConfig;
  dbUrl: string;
  iamAddress: string;
  internalPrivateKeyPem: string | undefined;
  maxResponseBytes: number;
}

/** Parses the whiteboard environment once at start-up; throws ConfigError naming every bad variable. */
export function loadWhiteboardConfig(env: Env): WhiteboardConfig {
  return loadConfig(schema, env);
}
