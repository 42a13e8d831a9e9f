import { createHash } from 'node:crypto';
import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { loadConfig, logLevel, stringBool } from '@lzy/config';
import type { Env, LogLevel } from '@lzy/config';
import type { SuiteDatabaseKind } from './suite-database.ts';
import { vmHostEnv } from './suite-env.ts';

const schema = z
  .object({
    /** Where the suite keeps its database, objects, keys and client.json. */
    LZY_HOME: z.string().min(1).default(join(homedir(), '.lzy')),
    LZY_HOST: z.string().min(1).default('127.0.0.1'),
    /** true: every service on a free port instead of its default (8899 for the public API…). */
    LZY_RANDOM_PORTS: stringBool().default(false),
    LZY_LOG_LEVEL: logLevel().default('info'),
    /**
     * `human`: a short summary and live progress on the terminal, every service's JSON log in
     * `$LZY_HOME/logs/lzy.log` and each VM's output in `$LZY_HOME/logs/vms/<vm>.log`.
     * `json`: every JSON log line on stdout, VM output in the allocator's log (as before).
     */
    LZY_LOG_FORMAT: z.enum(['human', 'json']).default('human'),
    /**
     * PostgreSQL cluster directory. As root the server runs as the `postgres` user, which cannot
     * enter root's home (mode 0700), so the default moves to /var/lib/lzy-ts/<hash of LZY_HOME>.
     */
    LZY_POSTGRES_DIR: z.string().min(1).optional(),
    /**
     * The suite's database: `auto` = a PostgreSQL cluster when the server binaries are found
     * (/usr/lib/postgresql/N/bin or PATH), else PGlite in `$LZY_HOME/pglite` (only Node needed).
     */
    LZY_UP_DATABASE: z.enum(['auto', 'postgres', 'pglite']).default('auto'),
    /** Where `auto` looks for initdb and postgres besides Debian's directory. */
    PATH: z.string().default(''),
    /** A program run once the suite is up (README's main job: the fan-out example); '' = none. */
    LZY_UP_EXAMPLE: z
      .string()
      .default(fileURLToPath(new URL('../../../examples/ts/fan-out.ts', import.meta.url))),
    /** Login of the local user (pylzy's LZY_USER, the JWT `iss`). */
    LZY_LOCAL_USER: z.string().min(1).default(userInfo().username),
  })
  .transform((env) => ({
    home: env.LZY_HOME,
    host: env.LZY_HOST,
    randomPorts: env.LZY_RANDOM_PORTS,
    logLevel: env.LZY_LOG_LEVEL,
    logFormat: env.LZY_LOG_FORMAT,
    logsDir: join(env.LZY_HOME, 'logs'),
    user: env.LZY_LOCAL_USER,
    example: env.LZY_UP_EXAMPLE,
    database: env.LZY_UP_DATABASE,
    searchPath: env.PATH,
    pgliteDir: join(env.LZY_HOME, 'pglite'),
    postgresDir:
      env.LZY_POSTGRES_DIR ??
      (userInfo().uid === 0
        ? join(
            '/var/lib/lzy-ts',
            createHash('sha256').update(env.LZY_HOME).digest('hex').slice(0, 12),
            'postgres',
          )
        : join(env.LZY_HOME, 'postgres')),
  }));

export interface LocalSuiteConfig {
  home: string;
  host: string;
  randomPorts: boolean;
  logLevel: LogLevel;
  logFormat: 'human' | 'json';
  /** `$LZY_HOME/logs`: lzy.log and vms/ in the human log format. */
  logsDir: string;
  /** What VMs inherit from the environment `lzy up` was started in (see vmHostEnv). */
  vmEnv: Record<string, string>;
  user: string;
  postgresDir: string;
  example: string;
  database: SuiteDatabaseKind;
  searchPath: string;
  pgliteDir: string;
}

export function loadLocalSuiteConfig(env: Env): LocalSuiteConfig {
  return { ...loadConfig(schema, env), vmEnv: vmHostEnv(env) };
}

/**
 * Node's compile cache of the suite's own process: the directory the allocator's VM processes
 * use by default (LZY_ALLOCATOR_LOCAL_COMPILE_CACHE_DIR), under the user's cache directory;
 * undefined without one.
 */
export function compileCacheDirOf(env: Env): string | undefined {
  const cacheHome = env.XDG_CACHE_HOME || (env.HOME ? join(env.HOME, '.cache') : undefined);
  return cacheHome === undefined ? undefined : join(cacheHome, 'lzy-ts', 'node-compile-cache');
}
