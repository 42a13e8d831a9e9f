import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import type { Env } from '@lzy/config';
import { CliError } from './cli-error.ts';

/**
 * `$LZY_HOME/client.json` as `lzy up` writes it: where the public API and the whiteboard service
 * listen, the login (JWT `iss`, provider GITHUB) and the user's RSA private key.
 */
export interface ClientConfig {
  endpoint: string;
  whiteboardEndpoint: string;
  user: string;
  /** Absolute; a relative path in the file is taken relative to the file's directory. */
  keyPath: string;
}

const fileSchema = z.object({
  endpoint: z.string().min(1),
  whiteboardEndpoint: z.string().min(1),
  user: z.string().min(1),
  keyPath: z.string().min(1),
});

/**
 * Which client config a command uses: `--config`, else `LZY_CLIENT_CONFIG`, else
 * `$LZY_HOME/client.json`, else `<home>/.lzy/client.json`. Relative paths resolve against `cwd`.
 */
export function resolveClientConfigPath(options: {
  flag: string | undefined;
  env: Env;
  homeDir: string;
  cwd: string;
}): string {
  const { flag, env, homeDir, cwd } = options;
  if (flag !== undefined && flag !== '') return resolve(cwd, flag);
  const fromEnv = env['LZY_CLIENT_CONFIG'];
  if (fromEnv !== undefined && fromEnv !== '') return resolve(cwd, fromEnv);
  const lzyHome = env['LZY_HOME'];
  const home = lzyHome !== undefined && lzyHome !== '' ? lzyHome : join(homeDir, '.lzy');
  return resolve(cwd, home, 'client.json');
}

/**
 * Parses the text of a client config found at `path`.
 * @throws CliError naming the file and every missing or malformed field.
 */
export function parseClientConfig(path: string, text: string): ClientConfig {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new CliError(`client config ${path} is not JSON: ${(err as Error).message}`, {
      cause: err,
    });
  }
  const result = fileSchema.safeParse(json);
  if (!result.success) {
    const fields = result.error.issues.map((issue) => issue.path.join('.') || '(root)');
    throw new CliError(
      `client config ${path} is invalid: expected non-empty strings ${fields.join(', ')}`,
    );
  }
  return { ...result.data, keyPath: resolve(dirname(path), result.data.keyPath) };
}

/** @throws CliError when the file is missing or unreadable (with a hint to run `lzy up`). */
export async function loadClientConfig(path: string): Promise<ClientConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
    throw new CliError(
      missing
        ? `no client config at ${path}: start the local suite with \`lzy up\`, or pass --config`
        : `cannot read client config ${path}: ${(err as Error).message}`,
      { cause: err },
    );
  }
  return parseClientConfig(path, text);
}
