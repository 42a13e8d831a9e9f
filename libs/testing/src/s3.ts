import { CreateBucketCommand, ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.ts';
import { pollUntil } from './poll-until.ts';
import { ServerProcess } from './server-process.ts';
import { findVersitygw } from './versitygw-bin.ts';

/** Endpoint and credentials of a test S3 server; plain data, passed from global setup to tests. */
export interface S3Config {
  /** e.g. http://127.0.0.1:41234; clients must use path-style addressing. */
  readonly endpoint: string;
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/** Options of {@link startS3}. */
export interface StartS3Options {
  /** versitygw binary; defaults to {@link findVersitygw}'s lookup. */
  readonly binPath?: string;
  /** Deadline for the server to answer requests (ms). Defaults to 30 s. */
  readonly readyTimeoutMs?: number;
  /** Keep the objects in this directory (not removed on stop) instead of a temp dir. */
  readonly dir?: string;
  /**
   * versitygw's internal IAM (user accounts the storage service creates, one per LZY user) is
   * kept here; default `<dir>-iam` beside a persistent `dir`, else inside the temp dir.
   */
  readonly iamDir?: string;
  /** Fixed credentials (a persistent server keeps its clients' keys); default random. */
  readonly credentials?: { accessKeyId: string; secretAccessKey: string };
  /** Listen on this address instead of 127.0.0.1 (pods of a real test node reach it there). */
  readonly host?: string;
}

/** A running versitygw server. */
export interface S3Server extends S3Config {
  /** Creates a bucket; throws if it exists or the name is not a valid bucket name. */
  createBucket(name: string): Promise<void>;
  /** A new path-style client with this server's credentials; the caller destroys it. */
  client(): S3Client;
  /** Stops the server, waits for it to exit, removes its data. Idempotent. */
  stop(): Promise<void>;
}

const REGION = 'us-east-1';
const START_ATTEMPTS = 3;

/**
 * Starts versitygw (posix backend in a temp dir, internal IAM on) on 127.0.0.1 with random root
 * credentials. Unlike moto or s3rver it verifies request signatures and enforces bucket ownership,
 * so tests catch credential mistakes and one user's key reaching another's bucket.
 * Throws naming scripts/install-versitygw.sh when the binary is missing.
 */
export async function startS3(opts: StartS3Options = {}): Promise<S3Server> {
  const binPath = opts.binPath ?? (await findVersitygw());
  const persistent = opts.dir !== undefined;
  const root = opts.dir ?? (await mkdtemp(join(tmpdir(), 'lzy-s3-')));
  const dirs = persistent
    ? { root, data: root, iam: opts.iamDir ?? `${root}-iam` }
    : { root, data: join(root, 'data'), iam: opts.iamDir ?? join(root, 'iam') };
  await mkdir(dirs.data, { recursive: true });
  await mkdir(dirs.iam, { recursive: true });
  const credentials = opts.credentials ?? {
    accessKeyId: `lzy${randomBytes(6).toString('hex')}`,
    secretAccessKey: randomBytes(20).toString('hex'),
  };
  try {
    return await startServer(
      binPath,
      dirs,
      opts.readyTimeoutMs ?? 30_000,
      credentials,
      persistent,
      opts.host ?? '127.0.0.1',
    );
  } catch (err) {
    if (!persistent) await rm(root, { recursive: true, force: true });
    throw err;
  }
}

async function startServer(
  binPath: string,
  dirs: { root: string; data: string; iam: string },
  readyTimeoutMs: number,
  { accessKeyId, secretAccessKey }: { accessKeyId: string; secretAccessKey: string },
  persistent: boolean,
  host: string,
): Promise<S3Server> {
  const dir = dirs.root;
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const config: S3Config = {
      endpoint: `http://${host}:${port}`,
      region: REGION,
      accessKeyId,
      secretAccessKey,
    };
    const server = new ServerProcess({
      command: binPath,
      // Global flags must precede the backend subcommand. The root key is the installation's
      // admin key; --iam-dir turns on the internal IAM (its admin API on the same port) where the
      // storage service makes one account per LZY user, owning that user's buckets only.
      args: [
        ...['--port', `${host}:${port}`, '--access', accessKeyId, '--secret', secretAccessKey],
        ...['--iam-dir', dirs.iam, '--quiet', 'posix', dirs.data],
      ],
      stopSignal: 'SIGTERM',
      exitSignal: 'SIGKILL',
      ...(persistent ? {} : { removeOnExit: dir }),
    });
    const client = s3Client(config);
    try {
      await pollUntil(() => client.send(new ListBucketsCommand({})).then(() => true), {
        timeoutMs: readyTimeoutMs,
        signal: server.exited,
        description: `versitygw on ${host}:${port} answers ListBuckets`,
      });
    } catch (err) {
      await server.stop();
      if (attempt < START_ATTEMPTS && server.output.includes('address already in use')) continue;
      throw err;
    } finally {
      client.destroy();
    }
    return s3ServerOf(config, () =>
      server
        .stop()
        .then(() => (persistent ? undefined : rm(dir, { recursive: true, force: true }))),
    );
  }
}

function s3ServerOf(config: S3Config, stop: () => Promise<void>): S3Server {
  let stopping: Promise<void> | undefined;
  return {
    ...config,
    client: () => s3Client(config),
    async createBucket(name) {
      const client = s3Client(config);
      try {
        await client.send(new CreateBucketCommand({ Bucket: name }));
      } finally {
        client.destroy();
      }
    },
    stop: () => (stopping ??= stop()),
  };
}

/** A path-style S3 client for `config` (test servers have no per-bucket DNS names). */
export function s3Client(config: S3Config): S3Client {
  return new S3Client({
    endpoint: config.endpoint,
    region: config.region,
    forcePathStyle: true,
    credentials: { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey },
  });
}
