import { z } from 'zod';

/*
 * Field builders for service config schemas. Every builder takes the raw environment string and
 * outputs a typed value; its error message is the "expected …" half of the line ConfigError prints
 * (`LZY_IAM_PORT: expected an integer 0..65535, got "abc"`), so it must say what a valid value
 * looks like. Add `.default(x)` (x of the OUTPUT type) or `.optional()` as needed.
 */

/** Pino's level names; `silent` turns logging off (tests). */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

function parsedString<T>(expected: string, parse: (raw: string) => T | undefined) {
  return z.string({ error: expected }).transform((raw, ctx) => {
    const value = parse(raw.trim());
    if (value === undefined) {
      ctx.issues.push({ code: 'custom', message: expected, input: raw });
      return z.NEVER;
    }
    return value;
  });
}

function parseInteger(raw: string, min: number, max: number): number | undefined {
  if (!/^\d+$/.test(raw)) return undefined;
  const n = Number(raw);
  return Number.isSafeInteger(n) && n >= min && n <= max ? n : undefined;
}

/** A TCP port, 0..65535. 0 means "pick a free port" (tests, local suite). */
export function port() {
  return parsedString('expected an integer 0..65535', (raw) => parseInteger(raw, 0, 65535));
}

/**
 * `host:port` of another service (`iam:8443`, `127.0.0.1:8899`, `[::1]:8122`), passed as is to
 * the gRPC client factory. Schemes (`http://`) are rejected: grpc-js would read them as a resolver.
 */
export function hostPort() {
  return parsedString('expected host:port, e.g. "iam:8443"', (raw) => {
    const match = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d+)$/.exec(raw);
    if (!match?.[2] || parseInteger(match[2], 1, 65535) === undefined) return undefined;
    return raw;
  });
}

/** A duration as a plain non-negative integer of milliseconds (name the variable `…_MS`). */
export function durationMs() {
  return parsedString('expected a non-negative integer number of milliseconds', (raw) =>
    parseInteger(raw, 0, Number.MAX_SAFE_INTEGER),
  );
}

/**
 * A boolean: true/1/yes/on or false/0/no/off (case-insensitive). Built on z.stringbool because
 * z.coerce.boolean() turns the string "false" into true (STYLE.md §5).
 */
export function stringBool() {
  return z.stringbool({ error: 'expected true/false (also 1/0, yes/no, on/off)' });
}

/** An absolute URL (S3 endpoint, public address). */
export function url() {
  return z.url({ error: 'expected an absolute URL, e.g. "http://localhost:9000"' });
}

/** A pino level name. */
export function logLevel() {
  return z.enum(LOG_LEVELS, { error: `expected one of ${LOG_LEVELS.join('|')}` });
}

/** A comma-separated list; items are trimmed and empty items dropped ("a, b,," → ["a","b"]). */
export function csv() {
  return z.string({ error: 'expected a comma-separated list' }).transform((raw) =>
    raw
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item !== ''),
  );
}

/** One AES-256 key of a key ring: its id (stored beside each value it seals) and 32 bytes. */
export interface EncryptionKey {
  readonly id: string;
  readonly key: Uint8Array;
}

const KEY_ENTRY = /^([A-Za-z0-9_-]{1,32}):([A-Za-z0-9+/=_-]+)$/;

/**
 * A key ring for data encrypted at rest: `<id>:<base64 of 32 random bytes>` entries separated by
 * commas, e.g. `k2:…,k1:…` (make one with `openssl rand -base64 32`). The first key encrypts,
 * every key decrypts: rotate by putting a new key first and dropping the old one once nothing
 * sealed with it is left. Ids are unique.
 */
export function encryptionKeys() {
  const expected =
    'expected "<id>:<base64 of 32 bytes>" entries separated by commas (id: 1..32 of A-Z a-z 0-9 _ -; key: openssl rand -base64 32), ids unique';
  return parsedString(expected, (raw): EncryptionKey[] | undefined => {
    const entries = raw.split(',').map((entry) => entry.trim());
    const keys: EncryptionKey[] = [];
    for (const entry of entries) {
      const match = KEY_ENTRY.exec(entry);
      if (match === null) return undefined;
      const [, id = '', encoded = ''] = match;
      // Node's base64 decoder also reads the URL-safe alphabet.
      const key = Buffer.from(encoded, 'base64');
      if (key.length !== 32 || keys.some((k) => k.id === id)) return undefined;
      keys.push({ id, key: new Uint8Array(key) });
    }
    return keys.length === 0 ? undefined : keys;
  });
}
