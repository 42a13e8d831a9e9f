import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** The pinned versitygw release; scripts/install-versitygw.sh builds the same one. */
export const VERSITYGW_VERSION = 'v1.8.0';

/**
 * Where the versitygw binary is expected: $LZY_VERSITYGW_BIN if set, else
 * `${XDG_CACHE_HOME:-~/.cache}/lzy-ts/versitygw-v1.8.0/versitygw` (the install script's output).
 */
export function versitygwPath(env: NodeJS.ProcessEnv = process.env): string {
  const explicit = env['LZY_VERSITYGW_BIN'];
  if (explicit) return explicit;
  const cacheHome = env['XDG_CACHE_HOME'] || join(homedir(), '.cache');
  return join(cacheHome, 'lzy-ts', `versitygw-${VERSITYGW_VERSION}`, 'versitygw');
}

/** Resolves the binary and checks it is executable; the error says how to install it. */
export async function findVersitygw(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const path = versitygwPath(env);
  try {
    await access(path, constants.X_OK);
  } catch (err) {
    throw new Error(
      `versitygw (the S3 server for tests) is not at ${path}: run scripts/install-versitygw.sh ` +
        '(needs Go; builds it into the cache once) or set LZY_VERSITYGW_BIN',
      { cause: err },
    );
  }
  return path;
}
