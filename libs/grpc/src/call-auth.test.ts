import { describe, expect, it } from 'vitest';
import { Unauthenticated } from '@lzy/errors';
import { createLogger } from '@lzy/logging';
import type { Authenticator } from './authenticator.ts';
import { authenticateCall } from './call-auth.ts';

const ctx = { requestId: 'rid', log: createLogger({ service: 'test', level: 'silent' }) };
const seen: string[] = [];
const authenticator: Authenticator = {
  authenticate: (authorization) => {
    seen.push(authorization);
    return Promise.resolve({ id: 'u-1', type: 'USER' });
  },
};

describe('authenticateCall', () => {
  it('rejects a missing header as "Authorization header is missing"', async () => {
    await expect(authenticateCall(authenticator, undefined, ctx)).rejects.toThrow(
      new Unauthenticated('Authorization header is missing'),
    );
    await expect(authenticateCall(authenticator, '', ctx)).rejects.toThrow(
      'Authorization header is missing',
    );
  });

  it.each([
    'Basic dXNlcjpwYXNz',
    'Bearer',
    'Bearer  a.b.c',
    'bearer a.b.c',
    'Bearer a.b',
    'Bearer a.b.c.d',
    'Bearer a.b.c extra',
  ])('rejects %j as needing the Bearer scheme', async (header) => {
    await expect(authenticateCall(authenticator, header, ctx)).rejects.toThrow(/Bearer scheme/);
  });

  it.each(['Bearer eyJh.eyJp.sig-_', 'Bearer eyJh.eyJp.', 'Bearer YWxpY2UvNmY0Yw=='])(
    'passes %j to the authenticator',
    async (header) => {
      await expect(authenticateCall(authenticator, header, ctx)).resolves.toEqual({
        id: 'u-1',
        type: 'USER',
      });
      expect(seen.at(-1)).toBe(header);
    },
  );
});
