import type { z } from 'zod';

/** The environment as main.ts gets it (`process.env`). */
export type Env = Readonly<Record<string, string | undefined>>;

/** One invalid or missing variable. */
export interface ConfigIssue {
  /** The environment variable name (the schema key), or `config` for a rule with no variable. */
  variable: string;
  /** What was expected and what was found, ready to print. */
  message: string;
}

/**
 * Thrown by loadConfig when any variable is missing or invalid. The message lists every bad
 * variable, one per line, so the operator fixes them all in one go; main.ts prints it and exits 2.
 */
export class ConfigError extends Error {
  readonly issues: readonly ConfigIssue[];
  constructor(issues: readonly ConfigIssue[]) {
    super(
      `invalid configuration:\n${issues.map((i) => `  ${i.variable}: ${i.message}`).join('\n')}`,
    );
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

// Values of these variables are never echoed back: a malformed DSN or key would land in the logs.
const SECRET_NAME = /SECRET|PASSWORD|TOKEN|PRIVATE|CREDENTIAL|_KEYS?\b/i;

function describeIssue(issue: z.core.$ZodIssue, env: Env): ConfigIssue {
  const variable = typeof issue.path[0] === 'string' ? issue.path[0] : 'config';
  const raw = variable === 'config' ? undefined : env[variable];
  if (raw === undefined) {
    const missing = issue.code === 'invalid_type' && variable !== 'config';
    return { variable, message: missing ? 'required but not set' : issue.message };
  }
  const shown = SECRET_NAME.test(variable) ? `<${raw.length} chars, hidden>` : JSON.stringify(raw);
  return { variable, message: `${issue.message}, got ${shown}` };
}

/**
 * Parses `env` with `schema` and returns the result deep-frozen. The schema's keys are the
 * environment variable names (see index.ts); the schema may end in `.transform()` to map them to
 * a camelCase Config. Pure: reads only `env`, so tests pass a plain object.
 *
 * @throws ConfigError naming every missing or invalid variable.
 */
export function loadConfig<S extends z.ZodType>(schema: S, env: Env): Readonly<z.output<S>> {
  const result = schema.safeParse(env);
  if (!result.success) {
    throw new ConfigError(result.error.issues.map((issue) => describeIssue(issue, env)));
  }
  return deepFreeze(result.data);
}

function deepFreeze<T>(value: T): T {
  // A typed array with elements cannot be frozen (TypeError); key bytes stay mutable.
  if (ArrayBuffer.isView(value)) return value;
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
