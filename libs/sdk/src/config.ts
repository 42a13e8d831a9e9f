import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { FailedPrecondition, InvalidArgument } from '@lzy/errors';

/** Where the SDK finds LZY and who the user is (client.json as written by `lzy up`). */
export interface ClientConfig {
  /** lzy-service `host:port` (LzyWorkflowService, LongRunningService). */
  endpoint: string;
  /** whiteboard service `host:port`. */
  whiteboardEndpoint: string;
  /** The user's login (`iss` of the token, provider GITHUB as pylzy). */
  user: string;
  /** Path to the user's RSA private key (PEM). */
  keyPath: string;
}

export type Env = Readonly<Record<string, string | undefined>>;

const FIELDS = ['endpoint', 'whiteboardEndpoint', 'user', 'keyPath'] as const;
/** pylzy's variable names, one per field; each overrides the file's value. */
const ENV_NAMES: Record<(typeof FIELDS)[number], string> = {
  endpoint: 'LZY_ENDPOINT',
  whiteboardEndpoint: 'LZY_WHITEBOARD_ENDPOINT',
  user: 'LZY_USER',
  keyPath: 'LZY_KEY_PATH',
};

/**
 * Reads the client configuration: the JSON file at `LZY_CLIENT_CONFIG`, else
 * `$LZY_HOME/client.json` (LZY_HOME defaults to ~/.lzy) when it exists; then each of
 * `LZY_ENDPOINT`, `LZY_WHITEBOARD_ENDPOINT`, `LZY_USER`, `LZY_KEY_PATH` overrides its field.
 * @throws FailedPrecondition naming the missing settings (run `lzy up` or set the variables);
 *   InvalidArgument if the file is not a JSON object.
 */
export function loadClientConfig(env: Env = process.env): ClientConfig {
  const explicit = env.LZY_CLIENT_CONFIG;
  const path = explicit ?? join(env.LZY_HOME ?? join(homedir(), '.lzy'), 'client.json');
  const fromFile = explicit !== undefined || existsSync(path) ? readConfigFile(path) : {};
  const merged: Partial<ClientConfig> = {};
  for (const field of FIELDS) {
    const value = env[ENV_NAMES[field]] ?? fromFile[field];
    if (typeof value === 'string' && value !== '') merged[field] = value;
  }
  const missing = FIELDS.filter((field) => merged[field] === undefined);
  if (missing.length > 0) {
    throw new FailedPrecondition(
      `LZY client configuration lacks ${missing.map((f) => `${f} (${ENV_NAMES[f]})`).join(', ')}: ` +
        `start LZY with \`lzy up\` (writes ${path}) or set the variables`,
    );
  }
  return merged as ClientConfig;
}

function readConfigFile(path: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new InvalidArgument(`cannot read LZY client configuration ${path}: ${String(err)}`, {
      cause: err,
    });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new InvalidArgument(`LZY client configuration ${path} is not a JSON object`);
  }
  return parsed as Record<string, unknown>;
}

/** `LZY_PROGRESS=1` (set by the CLI): draw op states on the terminal while a graph runs. */
export function isProgressEnabled(env: Env = process.env): boolean {
  return env.LZY_PROGRESS === '1' || env.LZY_PROGRESS === 'true';
}

/** Inside an op (op-runner): the task's slot directory, `$LZY_MOUNT`, set by the worker. */
export function opMountDir(env: Env = process.env): string {
  const mount = env.LZY_MOUNT;
  if (mount === undefined || mount === '') {
    throw new FailedPrecondition('LZY_MOUNT is not set: the op runner runs only on an LZY worker');
  }
  return mount;
}

/**
 * `LZY_RECONNECT_TIMEOUT_MS`: how long a call rides out an LZY that is unavailable (a restarted
 * local suite) before it fails, in ms; 0 turns retries off. Undefined when unset.
 * @throws InvalidArgument when it is not a non-negative integer.
 */
export function reconnectTimeoutMs(env: Env = process.env): number | undefined {
  const value = env.LZY_RECONNECT_TIMEOUT_MS;
  if (value === undefined || value === '') return undefined;
  const ms = Number(value);
  if (!Number.isSafeInteger(ms) || ms < 0) {
    throw new InvalidArgument(
      `LZY_RECONNECT_TIMEOUT_MS must be a number of ms ≥ 0, got '${value}'`,
    );
  }
  return ms;
}
