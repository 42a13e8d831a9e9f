import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/** One AES-256 key of a ring (the shape `encryptionKeys()` of @lzy/config parses). */
export interface SecretBoxKey {
  readonly id: string;
  /** 32 bytes. */
  readonly key: Uint8Array;
}

const VERSION = 'lzy1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * Secrets encrypted at rest (S3 keys in a service's database): AES-256-GCM with a random 96-bit
 * IV per value. A sealed value is the text `lzy1.<key id>.<base64url(iv ‖ ciphertext ‖ tag)>`,
 * so it fits a text or JSON column and names the key that opens it. `context` (e.g. the row's
 * primary key) is authenticated but not stored: a value copied into another row does not open.
 * The first key of the ring seals; every key opens, so keys rotate without downtime.
 */
export class SecretBox {
  readonly #keys: ReadonlyMap<string, Buffer>;
  readonly #sealWith: { id: string; key: Buffer };

  /** @throws Error for an empty ring, a key that is not 32 bytes, or a repeated id. */
  constructor(keys: readonly SecretBoxKey[]) {
    const ring = new Map<string, Buffer>();
    for (const { id, key } of keys) {
      if (key.length !== 32) throw new Error(`encryption key ${id} is not 32 bytes`);
      if (ring.has(id) || !/^[A-Za-z0-9_-]+$/.test(id)) {
        throw new Error(`encryption key id ${JSON.stringify(id)} is repeated or not [A-Za-z0-9_-]`);
      }
      ring.set(id, Buffer.from(key));
    }
    const first = keys[0];
    if (first === undefined) throw new Error('the encryption key ring is empty');
    this.#keys = ring;
    this.#sealWith = { id: first.id, key: ring.get(first.id)! };
  }

  /** Encrypts `plaintext` (UTF-8) bound to `context`. Never returns the same text twice. */
  seal(plaintext: string, context: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#sealWith.key, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const sealed = Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url');
    return `${VERSION}.${this.#sealWith.id}.${sealed}`;
  }

  /**
   * The plaintext of a value `seal`ed with `context`.
   * @throws Error when the value is not sealed text, its key is not in the ring, or it was
   *   altered or sealed for another context (the message never contains the value).
   */
  open(sealed: string, context: string): string {
    const [version, id = '', data = '', ...rest] = sealed.split('.');
    if (version !== VERSION || rest.length > 0) throw new Error('not a sealed secret');
    const key = this.#keys.get(id);
    if (key === undefined) {
      throw new Error(`sealed with encryption key ${JSON.stringify(id)}, which is not configured`);
    }
    const raw = Buffer.from(data, 'base64url');
    if (raw.length < IV_BYTES + TAG_BYTES) throw new Error('not a sealed secret');
    const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
    try {
      const body = raw.subarray(IV_BYTES, raw.length - TAG_BYTES);
      return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
    } catch (err) {
      throw new Error(`sealed secret does not open with key ${id} (altered or another row's)`, {
        cause: err,
      });
    }
  }

  /** How every value sealed now begins (`lzy1.<key id>.`): rows without it need resealing. */
  get sealingPrefix(): string {
    return `${VERSION}.${this.#sealWith.id}.`;
  }

  /** Whether `value` looks like a sealed secret (legacy rows hold plaintext). */
  static isSealed(value: string): boolean {
    return value.startsWith(`${VERSION}.`);
  }

  /** Whether `value` was sealed with another key than the one sealing now (to re-seal). */
  isStale(value: string): boolean {
    return !value.startsWith(this.sealingPrefix);
  }
}
