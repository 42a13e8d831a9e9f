import { createHash, createHmac, randomBytes } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import { Unavailable } from '@lzy/errors';
import type { S3Key, UserKeyProvider } from '../domain/ports.ts';

/** Where versitygw's admin API is and the root key that may call it. */
export interface VersitygwAdminConfig {
  /** The gateway's S3 port unless it runs with --admin-port (`http://host:port`). */
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
}

type SourceData = string | ArrayBuffer | ArrayBufferView;

function bytesOf(data: SourceData): string | Uint8Array {
  if (typeof data === 'string') return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** node:crypto behind the hash interface the smithy signer expects (aws-crypto's shape). */
class NodeSha256 {
  readonly #hash;
  constructor(secret?: SourceData) {
    this.#hash =
      secret === undefined ? createHash('sha256') : createHmac('sha256', bytesOf(secret));
  }
  update(data: SourceData): void {
    this.#hash.update(bytesOf(data));
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.#hash.digest()));
  }
}

const REQUEST_TIMEOUT_MS = 30_000;
const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
/** What our keys are made of; checked before a key goes into XML or a query string. */
const SAFE_KEY = /^[A-Za-z0-9_-]{16,128}$/;

/** `LZY` + 17 base32 characters: AWS's access key id shape (20 upper-case characters). */
function newAccessKeyId(): string {
  const bytes = randomBytes(17);
  return `LZY${[...bytes].map((b) => BASE32[b % 32]).join('')}`;
}

function newSecret(): string {
  return randomBytes(30).toString('base64url'); // 40 characters, like an AWS secret
}

function checkKey(key: S3Key): void {
  if (!SAFE_KEY.test(key.accessKeyId) || !SAFE_KEY.test(key.secretAccessKey)) {
    throw new Error('an S3 key of an unexpected shape reached the versitygw admin API');
  }
}

interface AdminAnswer {
  status: number;
  /** The S3-style error code (`XAdminUserNotFound`, `NoSuchBucket`…), '' on success. */
  code: string;
}

/**
 * UserKeyProvider over versitygw's internal IAM (started with `--iam-dir`): one account of role
 * `user` per LZY user, made through the admin API (`PATCH /create-user`, `/update-user`,
 * `/delete-user`, `/change-bucket-owner`, SigV4-signed with the root key). A `user` account lists
 * and uses only buckets it owns (their ACL names it alone) and cannot create buckets or call the
 * admin API. The gateway's IAM cache applies updates made through it at once.
 */
export class VersitygwUserKeys implements UserKeyProvider {
  readonly #config: VersitygwAdminConfig;
  readonly #signer: SignatureV4;

  constructor(config: VersitygwAdminConfig) {
    this.#config = config;
    this.#signer = new SignatureV4({
      credentials: { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey },
      region: config.region,
      service: 's3',
      sha256: NodeSha256,
    });
  }

  async createKey(_userId: string): Promise<S3Key> {
    const key = { accessKeyId: newAccessKeyId(), secretAccessKey: newSecret() };
    await this.#createAccount(key);
    return key;
  }

  async grantBucket(bucket: string, key: S3Key): Promise<void> {
    checkKey(key);
    const query = { bucket, owner: key.accessKeyId };
    let answer = await this.#call('/change-bucket-owner/', query);
    if (answer.code === 'XAdminUserNotFound') {
      // The gateway lost its IAM data (a new --iam-dir): the stored key comes back as it was.
      await this.#createAccount(key);
      answer = await this.#call('/change-bucket-owner/', query);
    }
    if (answer.code === 'NoSuchBucket') return; // nothing to grant
    this.#expectOk(answer, `giving bucket ${bucket} to ${key.accessKeyId}`);
  }

  async rotateKey(_userId: string, old: S3Key): Promise<S3Key> {
    checkKey(old);
    const key = { accessKeyId: old.accessKeyId, secretAccessKey: newSecret() };
    const body = `<MutableProps><Secret>${key.secretAccessKey}</Secret></MutableProps>`;
    const answer = await this.#call('/update-user', { access: key.accessKeyId }, body);
    if (answer.code === 'XAdminUserNotFound') await this.#createAccount(key);
    else this.#expectOk(answer, `rotating the key of ${key.accessKeyId}`);
    return key;
  }

  async deleteKey(key: S3Key): Promise<void> {
    checkKey(key);
    const answer = await this.#call('/delete-user', { access: key.accessKeyId });
    if (answer.code !== 'XAdminUserNotFound') {
      this.#expectOk(answer, `deleting ${key.accessKeyId}`);
    }
  }

  /** Creates the account of `key`; one that exists already gets `key`'s secret. */
  async #createAccount(key: S3Key): Promise<void> {
    checkKey(key);
    const body =
      `<Account><Access>${key.accessKeyId}</Access><Secret>${key.secretAccessKey}</Secret>` +
      '<Role>user</Role><UserID>0</UserID><GroupID>0</GroupID><ProjectID>0</ProjectID></Account>';
    const answer = await this.#call('/create-user', {}, body);
    if (answer.code === 'XAdminUserExists') {
      const props = `<MutableProps><Secret>${key.secretAccessKey}</Secret></MutableProps>`;
      const updated = await this.#call('/update-user', { access: key.accessKeyId }, props);
      this.#expectOk(updated, `updating the account ${key.accessKeyId}`);
      return;
    }
    this.#expectOk(answer, `creating the account ${key.accessKeyId}`);
  }

  #expectOk(answer: AdminAnswer, what: string): void {
    if (answer.status < 300) return;
    if (answer.status >= 500) {
      throw new Unavailable(`S3 failed ${what} (HTTP ${answer.status}), retry later`);
    }
    // 403 = the configured admin key is not versitygw's root key: a deployment error.
    throw new Error(`versitygw admin API refused ${what}: HTTP ${answer.status} ${answer.code}`);
  }

  /** One signed PATCH to the admin API. @throws Unavailable when the gateway is unreachable. */
  async #call(path: string, query: Record<string, string>, body = ''): Promise<AdminAnswer> {
    const url = new URL(path, this.#config.endpoint);
    for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value);
    const payloadHash = createHash('sha256').update(body).digest('hex');
    const signed = await this.#signer.sign({
      method: 'PATCH',
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port === '' ? {} : { port: Number(url.port) }),
      path: url.pathname,
      query,
      headers: { host: url.host, 'x-amz-content-sha256': payloadHash },
      body,
    });
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'PATCH',
        headers: signed.headers,
        ...(body === '' ? {} : { body }),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (err) {
      throw new Unavailable(`S3 (${url.host}) is unreachable for its admin API, retry later`, {
        cause: err,
      });
    }
    const text = await response.text();
    return { status: response.status, code: /<Code>([^<]*)<\/Code>/.exec(text)?.[1] ?? '' };
  }
}
