import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, loadConfig } from './load-config.ts';
import {
  csv,
  durationMs,
  encryptionKeys,
  hostPort,
  logLevel,
  port,
  stringBool,
  url,
} from './fields.ts';

const schema = z
  .object({
    LZY_X_PORT: port().default(8899),
    LZY_X_IAM_ADDRESS: hostPort(),
    LZY_X_GRACE_MS: durationMs().default(5_000),
    LZY_X_DEBUG: stringBool().default(false),
    LZY_X_S3_URL: url().optional(),
    LZY_LOG_LEVEL: logLevel().default('info'),
    LZY_X_POOLS: csv().default([]),
  })
  .transform((e) => ({
    port: e.LZY_X_PORT,
    iamAddress: e.LZY_X_IAM_ADDRESS,
    graceMs: e.LZY_X_GRACE_MS,
    debug: e.LZY_X_DEBUG,
    s3Url: e.LZY_X_S3_URL,
    logLevel: e.LZY_LOG_LEVEL,
    pools: e.LZY_X_POOLS,
  }));

function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(schema, env);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('applies defaults and maps env names to the camelCase config', () => {
    const config = loadConfig(schema, { LZY_X_IAM_ADDRESS: 'iam:8443' });
    expect(config).toEqual({
      port: 8899,
      iamAddress: 'iam:8443',
      graceMs: 5_000,
      debug: false,
      s3Url: undefined,
      logLevel: 'info',
      pools: [],
    });
  });

  it('parses "false" as false and "true" as true', () => {
    const base = { LZY_X_IAM_ADDRESS: 'iam:8443' };
    expect(loadConfig(schema, { ...base, LZY_X_DEBUG: 'false' }).debug).toBe(false);
    expect(loadConfig(schema, { ...base, LZY_X_DEBUG: 'FALSE' }).debug).toBe(false);
    expect(loadConfig(schema, { ...base, LZY_X_DEBUG: '0' }).debug).toBe(false);
    expect(loadConfig(schema, { ...base, LZY_X_DEBUG: 'true' }).debug).toBe(true);
  });

  it('parses explicit values', () => {
    const config = loadConfig(schema, {
      LZY_X_PORT: '0',
      LZY_X_IAM_ADDRESS: '[::1]:8122',
      LZY_X_GRACE_MS: '250',
      LZY_X_S3_URL: 'http://localhost:9000',
      LZY_LOG_LEVEL: 'debug',
      LZY_X_POOLS: ' s, l ,,',
    });
    expect(config).toMatchObject({ port: 0, graceMs: 250, logLevel: 'debug', pools: ['s', 'l'] });
  });

  it('names every bad variable with what was expected and what was found', () => {
    const err = configError({
      LZY_X_PORT: 'abc',
      LZY_X_GRACE_MS: '1.5',
      LZY_X_DEBUG: 'maybe',
      LZY_X_S3_URL: 'not a url',
      LZY_LOG_LEVEL: 'loud',
    });
    expect(err.issues.map((i) => i.variable).sort()).toEqual([
      'LZY_LOG_LEVEL',
      'LZY_X_DEBUG',
      'LZY_X_GRACE_MS',
      'LZY_X_IAM_ADDRESS',
      'LZY_X_PORT',
      'LZY_X_S3_URL',
    ]);
    expect(err.message).toContain('LZY_X_PORT: expected an integer 0..65535, got "abc"');
    expect(err.message).toContain('LZY_X_IAM_ADDRESS: required but not set');
    expect(err.message).toContain(
      'LZY_X_GRACE_MS: expected a non-negative integer number of milliseconds, got "1.5"',
    );
    expect(err.message).toContain('LZY_X_DEBUG: expected true/false');
    expect(err.message).toContain('LZY_X_S3_URL: expected an absolute URL');
    expect(err.message).toContain('LZY_LOG_LEVEL: expected one of');
  });

  it('rejects out-of-range ports and addresses with a scheme', () => {
    const err = configError({ LZY_X_PORT: '65536', LZY_X_IAM_ADDRESS: 'http://iam:8443' });
    expect(err.issues.map((i) => i.variable).sort()).toEqual(['LZY_X_IAM_ADDRESS', 'LZY_X_PORT']);
  });

  it('does not echo the value of secret-looking variables', () => {
    const secretSchema = z.object({
      LZY_X_DB_PASSWORD: z.string().min(8, { error: 'expected ≥ 8 chars' }),
    });
    expect(() => loadConfig(secretSchema, { LZY_X_DB_PASSWORD: 'hunter2' })).toThrow(
      'LZY_X_DB_PASSWORD: expected ≥ 8 chars, got <7 chars, hidden>',
    );
  });

  it('names the variable of a cross-field rule', () => {
    const ranged = z
      .object({ LZY_X_MIN_MS: durationMs(), LZY_X_MAX_MS: durationMs() })
      .superRefine((e, ctx) => {
        if (e.LZY_X_MIN_MS > e.LZY_X_MAX_MS) {
          ctx.addIssue({
            code: 'custom',
            path: ['LZY_X_MAX_MS'],
            message: 'must be ≥ LZY_X_MIN_MS',
          });
        }
      });
    expect(() => loadConfig(ranged, { LZY_X_MIN_MS: '10', LZY_X_MAX_MS: '5' })).toThrow(
      'LZY_X_MAX_MS: must be ≥ LZY_X_MIN_MS, got "5"',
    );
  });

  it('returns a deeply frozen config', () => {
    const config = loadConfig(schema, { LZY_X_IAM_ADDRESS: 'iam:8443', LZY_X_POOLS: 'a' });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.pools)).toBe(true);
  });

  it('reads an encryption key ring, first key first, and hides it in errors', () => {
    const ring = z.object({ LZY_X_ENCRYPTION_KEYS: encryptionKeys() });
    const k1 = Buffer.alloc(32, 1).toString('base64');
    const k2 = Buffer.alloc(32, 2).toString('base64url');
    const { LZY_X_ENCRYPTION_KEYS: keys } = loadConfig(ring, {
      LZY_X_ENCRYPTION_KEYS: `new:${k2}, old:${k1}`,
    });
    expect(keys.map((k) => [k.id, Buffer.from(k.key).toString('base64')])).toEqual([
      ['new', Buffer.alloc(32, 2).toString('base64')],
      ['old', k1],
    ]);
    for (const bad of [
      '',
      'nokey',
      `a:${Buffer.alloc(16).toString('base64')}`,
      `a:${k1},a:${k1}`,
    ]) {
      expect(() => loadConfig(ring, { LZY_X_ENCRYPTION_KEYS: bad })).toThrow(
        /LZY_X_ENCRYPTION_KEYS: expected "<id>:<base64 of 32 bytes>".*hidden>/,
      );
    }
  });
});
