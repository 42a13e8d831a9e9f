import { createPrivateKey } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { compactVerify, importSPKI, SignJWT, importPKCS8 } from 'jose';
import { PermissionDenied, Unauthenticated } from '@lzy/errors';
import { generateRsaKeyPair, importPrivateKey, importPublicKey } from './keys.ts';
import type { RsaKeyPair } from './keys.ts';
import { decodeLzyJwtUnverified } from './lzy-jwt.ts';
import { signLzyJwt } from './sign-lzy-jwt.ts';
import { verifyLzyJwt } from './verify-lzy-jwt.ts';

// A token made by PyJWT 2.6.0 exactly as pylzy's build_token does (claims iat, nbf, exp, iss, pvd
// from time.time()), with times pinned to 1675432800.123456… so the fixture stays reproducible.
const PYJWT_PUBLIC_KEY = `-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAvte6mvuf7jNq+CfmnGXt
6zdETKN6u0PNjCVYjVBl0haNT4Rk8V7YhH1C2tiTDDhuYNfm2XW5E4zedzlkMqmX
6uBT4Msc9XAm9gDyH7RJdo5Ea4QkRyq79yp8e0M1kq1OhbXq+ruzNk9rrLybEleW
b12AnWOrqQ92UaTNNuB9tFS9pCsEgMeoYDvk5oK7QQywU8nbelFtaH7Je7KPmhKF
LKyfBwkHzlbamE+bu+WxqLHaQwmtU9D3e9sqbClA2lBKXG1Lk4kw5s7FLQk6+TWk
LSTkXhvgqV80mW7tLWQohLuuZZxqW3fNomCxoL8/ZL70lqdSZFQIJfodFYtmhl4i
pwIDAQAB
-----END PUBLIC KEY-----
`;
const PYJWT_TOKEN =
  'eyJhbGciOiJQUzI1NiIsInR5cCI6IkpXVCJ9.' +
  'eyJpYXQiOjE2NzU0MzI4MDAuMTIzNDU2LCJuYmYiOjE2NzU0MzI4MDAuMTIzNDU3LCJleHAiOjE2NzYwMzc2MDAuMTIzNDU4LCJpc3MiOiJhbGljZSIsInB2ZCI6IkdJVEhVQiJ9.' +
  'GRk2NQsVMseGE5hQ477BeJUlNopNjN1RFFEmBEL7C3tCHqF87c29u8NHPEmEhr3-nuj71tIl35LS1hhRkmEeSpdkoTcX_H4ozRPfHlq66t9XIb3SPmq0GuPl_ZHVpssRPUiMiq1qkQ8wuPZ94t2nflPxEyTdnvp2mL6bwFNn4h_GwZR5P-1kViskZsEQPwdXMvl8vGXQocmBNMhddj4AKgx1aBlrVuKkFpeGwgkKKLdha9Le8yB2RaoTxhnqgEmrkF3Wpm53-lo8x4pItWNsX7ClSOkiVSwrgHWQwWcfJPnaivWkeJ6LEAl62tKg5erwjJ_S5nTyRHzK1nW3Fa8umg';
const PYJWT_IAT_MS = 1675432800123.456;

const NOW_MS = 1_700_000_000_123;
const DAY_MS = 24 * 60 * 60 * 1000;

function segmentJson(token: string, index: number): string {
  return Buffer.from(token.split('.')[index] ?? '', 'base64url').toString('utf8');
}

let alice: RsaKeyPair;
let mallory: RsaKeyPair;
beforeAll(async () => {
  [alice, mallory] = await Promise.all([generateRsaKeyPair(), generateRsaKeyPair()]);
});

describe('signLzyJwt', () => {
  it('writes the PyJWT header and fractional-second claims in pylzy order', () => {
    const token = signLzyJwt({
      issuer: 'alice',
      provider: 'GITHUB',
      privateKeyPem: alice.privateKeyPem,
      nowMs: NOW_MS,
    });
    expect(segmentJson(token, 0)).toBe('{"alg":"PS256","typ":"JWT"}');
    expect(segmentJson(token, 1)).toBe(
      '{"iat":1700000000.123,"nbf":1700000000.123,"exp":1700604800.123,"iss":"alice","pvd":"GITHUB"}',
    );
  });

  it('adds kn to the header only when a key name is given', () => {
    const token = signLzyJwt({
      issuer: 'lzy-internal-agent',
      provider: 'INTERNAL',
      privateKeyPem: alice.privateKeyPem,
      nowMs: NOW_MS,
      ttlMs: DAY_MS,
      keyName: 'Internal agent key',
    });
    expect(decodeLzyJwtUnverified(token).header).toEqual({
      alg: 'PS256',
      typ: 'JWT',
      kn: 'Internal agent key',
    });
  });

  it('produces a JWS that an independent implementation (jose) verifies as PS256', async () => {
    const token = signLzyJwt({
      issuer: 'alice',
      provider: 'GITHUB',
      privateKeyPem: alice.privateKeyPem,
      nowMs: NOW_MS,
    });
    const key = await importSPKI(alice.publicKeyPem, 'PS256');
    const { protectedHeader } = await compactVerify(token, key, { algorithms: ['PS256'] });
    expect(protectedHeader.alg).toBe('PS256');
  });

  it('signs with a PKCS#1 private key (openssl genrsa before OpenSSL 3)', () => {
    const pkcs1 = createPrivateKey(alice.privateKeyPem)
      .export({ type: 'pkcs1', format: 'pem' })
      .toString();
    expect(pkcs1).toContain('BEGIN RSA PRIVATE KEY');
    expect(importPrivateKey(pkcs1).asymmetricKeyType).toBe('rsa');
    const token = signLzyJwt({
      issuer: 'alice',
      provider: 'GITHUB',
      privateKeyPem: pkcs1,
      nowMs: NOW_MS,
    });
    expect(verifyLzyJwt(token, [alice.publicKeyPem], { nowMs: NOW_MS }).iss).toBe('alice');
  });
});

describe('verifyLzyJwt', () => {
  it('verifies a token signed here and returns its fractional claims', () => {
    const token = signLzyJwt({
      issuer: 'alice',
      provider: 'GITHUB',
      privateKeyPem: alice.privateKeyPem,
      nowMs: NOW_MS,
    });
    expect(verifyLzyJwt(token, [alice.publicKeyPem], { nowMs: NOW_MS + 1000 })).toEqual({
      iss: 'alice',
      pvd: 'GITHUB',
      iat: 1700000000.123,
      nbf: 1700000000.123,
      exp: 1700604800.123,
    });
  });

  it('verifies a token made by PyJWT as pylzy makes it', () => {
    const claims = verifyLzyJwt(PYJWT_TOKEN, [PYJWT_PUBLIC_KEY], { nowMs: PYJWT_IAT_MS + DAY_MS });
    expect(claims).toMatchObject({ iss: 'alice', pvd: 'GITHUB', iat: 1675432800.123456 });
  });

  it('verifies a jose-made token whose iat is fractional', async () => {
    const key = await importPKCS8(alice.privateKeyPem, 'PS256');
    const token = await new SignJWT({ pvd: 'GITHUB' })
      .setProtectedHeader({ alg: 'PS256', typ: 'JWT' })
      .setIssuer('alice')
      .setIssuedAt(1_700_000_000.5)
      .setNotBefore(1_700_000_000.5)
      .setExpirationTime(1_700_000_100.25)
      .sign(key);
    expect(verifyLzyJwt(token, [alice.publicKeyPem], { nowMs: 1_700_000_050_000 }).exp).toBe(
      1_700_000_100.25,
    );
  });

  it('tries every key and accepts the first that verifies', () => {
    const token = signLzyJwt({
      issuer: 'alice',
      provider: 'GITHUB',
      privateKeyPem: alice.privateKeyPem,
      nowMs: NOW_MS,
    });
    expect(
      verifyLzyJwt(token, [mallory.publicKeyPem, alice.publicKeyPem], { nowMs: NOW_MS }).iss,
    ).toBe('alice');
  });

  it('denies a token signed with another key, with an empty message', () => {
    const token = signLzyJwt({
      issuer: 'alice',
      provider: 'GITHUB',
      privateKeyPem: mallory.privateKeyPem,
      nowMs: NOW_MS,
    });
    const attempt = () => verifyLzyJwt(token, [alice.publicKeyPem], { nowMs: NOW_MS });
    expect(attempt).toThrow(PermissionDenied);
    expect(attempt).toThrow(/^$/);
  });

  it('denies a token with no candidate keys', () => {
    expect(() => verifyLzyJwt(PYJWT_TOKEN, [], { nowMs: PYJWT_IAT_MS })).toThrow(PermissionDenied);
  });

  it('denies an expired token beyond the clock skew and accepts it within', () => {
    const token = signLzyJwt({
      issuer: 'alice',
      provider: 'GITHUB',
      privateKeyPem: alice.privateKeyPem,
      nowMs: NOW_MS,
      ttlMs: 60_000,
    });
    const expMs = NOW_MS + 60_000;
    expect(() => verifyLzyJwt(token, [alice.publicKeyPem], { nowMs: expMs + 30_001 })).toThrow(
      PermissionDenied,
    );
    expect(() =>
      verifyLzyJwt(token, [alice.publicKeyPem], { nowMs: expMs + 1, clockSkewMs: 0 }),
    ).toThrow(PermissionDenied);
    expect(verifyLzyJwt(token, [alice.publicKeyPem], { nowMs: expMs + 29_000 }).iss).toBe('alice');
  });

  it('denies a token that is not valid yet', () => {
    const token = signLzyJwt({
      issuer: 'alice',
      provider: 'GITHUB',
      privateKeyPem: alice.privateKeyPem,
      nowMs: NOW_MS,
    });
    expect(() => verifyLzyJwt(token, [alice.publicKeyPem], { nowMs: NOW_MS - 31_000 })).toThrow(
      PermissionDenied,
    );
  });

  it('denies a token whose payload was altered after signing', () => {
    const token = signLzyJwt({
      issuer: 'alice',
      provider: 'GITHUB',
      privateKeyPem: alice.privateKeyPem,
      nowMs: NOW_MS,
    });
    const [h, , s] = token.split('.');
    const forged = Buffer.from('{"iss":"root","pvd":"INTERNAL","exp":9999999999}').toString(
      'base64url',
    );
    expect(() =>
      verifyLzyJwt(`${h}.${forged}.${s}`, [alice.publicKeyPem], { nowMs: NOW_MS }),
    ).toThrow(PermissionDenied);
  });

  it('fails as internal (plain Error) when the only stored key is unreadable', () => {
    const token = signLzyJwt({
      issuer: 'alice',
      provider: 'GITHUB',
      privateKeyPem: alice.privateKeyPem,
      nowMs: NOW_MS,
    });
    let thrown: unknown;
    try {
      verifyLzyJwt(token, ['-----BEGIN PUBLIC KEY-----\ngarbage\n-----END PUBLIC KEY-----'], {
        nowMs: NOW_MS,
      });
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(Error);
    expect(thrown).not.toBeInstanceOf(PermissionDenied);
  });
});

describe('decodeLzyJwtUnverified', () => {
  it('reads iss, pvd and times without a key', () => {
    expect(decodeLzyJwtUnverified(PYJWT_TOKEN)).toEqual({
      header: { alg: 'PS256', typ: 'JWT' },
      claims: {
        iss: 'alice',
        pvd: 'GITHUB',
        iat: 1675432800.123456,
        nbf: 1675432800.123457,
        exp: 1676037600.123458,
      },
    });
  });

  it.each([
    ['not a jwt'],
    ['a.b.c'],
    [
      `${Buffer.from('{"alg":"PS256"}').toString('base64url')}.${Buffer.from('{"iss":"","pvd":"GITHUB"}').toString('base64url')}.`,
    ],
    [
      `${Buffer.from('{"alg":"PS256"}').toString('base64url')}.${Buffer.from('{"iss":"alice"}').toString('base64url')}.`,
    ],
    [
      `${Buffer.from('{"alg":"PS256"}').toString('base64url')}.${Buffer.from('[1]').toString('base64url')}.`,
    ],
  ])('rejects %s as Unauthenticated "Invalid JWT"', (token) => {
    expect(() => decodeLzyJwtUnverified(token)).toThrow(Unauthenticated);
    expect(() => decodeLzyJwtUnverified(token)).toThrow('Invalid JWT');
  });
});

describe('key import', () => {
  it('refuses a private key where a public key is expected', () => {
    expect(() => importPublicKey(alice.privateKeyPem)).toThrow(/private key/);
  });

  it('accepts SPKI public keys', () => {
    expect(importPublicKey(alice.publicKeyPem).asymmetricKeyType).toBe('rsa');
  });

  it('refuses garbage as a private key', () => {
    expect(() => importPrivateKey('nope')).toThrow(/PKCS#1 or PKCS#8/);
  });
});
