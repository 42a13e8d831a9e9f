import { createHash, createPublicKey } from 'node:crypto';
import { InvalidArgument } from '@lzy/errors';
import type { KeyDto } from '../api/types.ts';
import { checkKeyName, visibleKeys } from '../domain/access-policy.ts';
import { readJson, sendEmpty, sendJson } from './http-kit.ts';
import type { RouteDeps } from './route-deps.ts';
import { userRoute } from './router.ts';
import type { Route } from './router.ts';

function fingerprintOf(pem: string): string {
  try {
    const der = createPublicKey(pem).export({ type: 'spki', format: 'der' });
    return `SHA256:${createHash('sha256').update(der).digest('base64').replace(/=+$/, '')}`;
  } catch {
    return 'unreadable key';
  }
}

/** The signed-in user's public keys (iam credentials of type PUBLIC_KEY). */
export function keyRoutes(deps: RouteDeps): Route[] {
  return [
    userRoute('GET', /^\/api\/keys$/, async (ctx) => {
      const credentials = await deps.identity.listCredentials(ctx.user.userId);
      const keys: KeyDto[] = visibleKeys(credentials).map((c) => ({
        name: c.name,
        fingerprint: fingerprintOf(c.value),
        ...(c.expiresAt === undefined ? {} : { expiresAt: c.expiresAt.toISOString() }),
      }));
      sendJson(ctx.res, 200, { keys });
    }),
    userRoute('POST', /^\/api\/keys$/, async (ctx) => {
      const body = (await readJson(ctx.req)) as { name?: unknown; publicKeyPem?: unknown };
      if (typeof body.name !== 'string' || typeof body.publicKeyPem !== 'string') {
        throw new InvalidArgument(
          'expected {"name": "...", "publicKeyPem": "-----BEGIN PUBLIC KEY-----..."}',
        );
      }
      if (/PRIVATE KEY/.test(body.publicKeyPem)) {
        throw new InvalidArgument(
          'that is a private key: paste the public half (never share the private one)',
        );
      }
      const name = checkKeyName(body.name.trim());
      await deps.identity.addPublicKey(ctx.user.userId, name, body.publicKeyPem.trim());
      ctx.log.info({ keyName: name }, 'public key added');
      sendJson(ctx.res, 201, { name, fingerprint: fingerprintOf(body.publicKeyPem) });
    }),
    userRoute('DELETE', /^\/api\/keys\/(?<name>[^/]+)$/, async (ctx) => {
      const name = checkKeyName(ctx.params.name ?? '');
      await deps.identity.removeCredential(ctx.user.userId, name);
      ctx.log.info({ keyName: name }, 'public key removed');
      sendEmpty(ctx.res, 204);
    }),
  ];
}
