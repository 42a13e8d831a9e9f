import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/** What a session cookie carries; sealed (AES-256-GCM), so the browser can neither read nor forge it. */
export interface SessionData {
  /** Session id; the session's key is iam credential `site-session-<sid>`. */
  sid: string;
  userId: string;
  login: string;
  /** The session key's private half, PKCS#8 PEM: signs the user's JWTs (whiteboard calls, checks). */
  privateKeyPem: string;
  expiresAtMs: number;
}

const VERSION = 'v1';

/** Derives independent keys (cookie sealing, CSRF) from the one configured secret. */
export function deriveKey(secret: Buffer, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), `lzy-site ${purpose}`, 32));
}

/**
 * Seals and opens session cookies. The cookie is the whole session state, so any replica (or a
 * restarted site) with the same LZY_SITE_SESSION_SECRET accepts it; revocation is iam's: the
 * session key is a credential there (see Sessions).
 */
export class SessionCookieCodec {
  readonly #key: Buffer;

  constructor(secret: Buffer) {
    this.#key = deriveKey(secret, 'session cookie');
  }

  seal(data: SessionData): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    cipher.setAAD(Buffer.from(VERSION));
    const body = Buffer.concat([cipher.update(JSON.stringify(data), 'utf8'), cipher.final()]);
    return `${VERSION}.${Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url')}`;
  }

  /** undefined for anything this codec did not seal (tampered, other secret, garbage). */
  open(value: string): SessionData | undefined {
    if (!value.startsWith(`${VERSION}.`)) return undefined;
    const raw = Buffer.from(value.slice(VERSION.length + 1), 'base64url');
    if (raw.length < 12 + 16 + 2) return undefined;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#key, raw.subarray(0, 12));
      decipher.setAAD(Buffer.from(VERSION));
      decipher.setAuthTag(raw.subarray(raw.length - 16));
      const text = Buffer.concat([
        decipher.update(raw.subarray(12, raw.length - 16)),
        decipher.final(),
      ]).toString('utf8');
      return parseSessionData(JSON.parse(text));
    } catch {
      return undefined;
    }
  }
}

function parseSessionData(value: unknown): SessionData | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (
    typeof v.sid === 'string' &&
    typeof v.userId === 'string' &&
    typeof v.login === 'string' &&
    typeof v.privateKeyPem === 'string' &&
    typeof v.expiresAtMs === 'number'
  ) {
    return {
      sid: v.sid,
      userId: v.userId,
      login: v.login,
      privateKeyPem: v.privateKeyPem,
      expiresAtMs: v.expiresAtMs,
    };
  }
  return undefined;
}
