import { z } from 'zod';
import { importPublicKey } from '@lzy/auth';
import { loadConfig, serverEnvShape, toServerConfig } from '@lzy/config';
import type { Env, ServerConfig } from '@lzy/config';

// Env files and k8s secrets often carry a PEM on one line with literal "\n" escapes.
function unescapePem(raw: string): string {
  return raw.includes('\\n') ? raw.replaceAll('\\n', '\n') : raw;
}

const schema = z
  .object({
    ...serverEnvShape({ port: 8443 }),
    /** iam's own database. The default suits a local PostgreSQL; iam waits for it (no crash). */
    LZY_DB_URL: z
      .string()
      .min(1, { error: 'expected a postgres:// URL' })
      .default('postgres://postgres@127.0.0.1:5432/lzy_iam'),
    /**
     * PEM public key of the services' shared internal identity (subject `lzy-internal`,
     * reference-lzy-internals §2.6); its private half is every other service's
     * `LZY_INTERNAL_PRIVATE_KEY`. Unset: no internal identity (iam logs a warning).
     */
    LZY_IAM_INTERNAL_PUBLIC_KEY: z
      .string()
      .transform(unescapePem)
      .refine(
        (pem) => {
          try {
            importPublicKey(pem);
            return true;
          } catch {
            return false;
          }
        },
        { error: 'expected a PEM RSA public key (-----BEGIN PUBLIC KEY-----)' },
      )
      .optional(),
  })
  .transform((env) => ({
    server: toServerConfig(env),
    dbUrl: env.LZY_DB_URL,
    internalPublicKeyPem: env.LZY_IAM_INTERNAL_PUBLIC_KEY,
  }));

export interface IamConfig {
  server: ServerConfig;
  /** postgres:// URL of iam's database. */
  dbUrl: string;
  /** PEM of the internal identity's public key; undefined = no internal identity. */
  internalPublicKeyPem?: string | undefined;
}

/** Parses the iam environment once at start-up; throws ConfigError naming every bad variable. */
export function loadIamConfig(env: Env): IamConfig {
  return loadConfig(schema, env);
}
