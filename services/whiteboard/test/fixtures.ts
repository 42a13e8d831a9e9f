import { Client, Metadata, credentials } from '@grpc/grpc-js';
import type { ServiceError } from '@grpc/grpc-js';
import { generateRsaKeyPair } from '@lzy/auth';
import { closeDatabase, createDatabase, migrateToLatest } from '@lzy/db';
import { createChannelClient, fromGrpcError, unaryCall } from '@lzy/grpc';
import { createLogger } from '@lzy/logging';
import type { Logger } from '@lzy/logging';
import { lzyWhiteboard, lzyWhiteboardService } from '@lzy/proto';
import type { TemplateSpec } from '@lzy/testing';
import { loadWhiteboardConfig, startWhiteboard, whiteboardMigrations } from '../src/index.ts';
import type { RunningWhiteboard } from '../src/index.ts';
import { IamDouble } from './iam-double.ts';

export const silentLog: Logger = createLogger({ service: 'whiteboard-test', level: 'silent' });

/** The whiteboard migrations, applied once per run into a template database. */
export const whiteboardTemplate: TemplateSpec = {
  name: 'tpl_lzy_whiteboard_v1',
  migrate: async (url) => {
    const db = createDatabase({ url, poolMax: 1 });
    try {
      await migrateToLatest(db, whiteboardMigrations);
    } finally {
      await closeDatabase(db);
    }
  },
};

/** An iam double plus a whiteboard service using it; `extraEnv` overrides the environment. */
export async function startStack(dbUrl: string, extraEnv: Record<string, string> = {}) {
  const keys = await generateRsaKeyPair();
  const iam = new IamDouble(keys.publicKeyPem);
  await iam.start(silentLog);
  let whiteboard: RunningWhiteboard;
  try {
    const config = loadWhiteboardConfig({
      LZY_PORT: '0',
      LZY_DB_URL: dbUrl,
      LZY_IAM_ADDRESS: iam.address,
      LZY_INTERNAL_PRIVATE_KEY: keys.privateKeyPem,
      ...extraEnv,
    });
    whiteboard = await startWhiteboard(config, { log: silentLog });
  } catch (err) {
    await iam.stop();
    throw err;
  }
  return {
    iam,
    address: `127.0.0.1:${whiteboard.port}`,
    stop: async () => {
      await whiteboard.stop();
      await iam.stop();
    },
  };
}

/** A whiteboard client calling as `subjectId` (the iam double's user token), or anonymously. */
export function whiteboardClient(address: string, subjectId?: string) {
  return createChannelClient(lzyWhiteboardService.LzyWhiteboardServiceClient, address, {
    ...(subjectId === undefined ? {} : { callCredentials: () => Promise.resolve(subjectId) }),
    retry: false,
  });
}

export type WhiteboardClient = ReturnType<typeof whiteboardClient>;

/** Promise forms of the four RPCs. */
export function rpcs(client: WhiteboardClient) {
  return {
    register: (whiteboard: lzyWhiteboard.Whiteboard) =>
      unaryCall(client.registerWhiteboard.bind(client), { whiteboard }),
    update: (whiteboard: lzyWhiteboard.Whiteboard) =>
      unaryCall(client.updateWhiteboard.bind(client), { whiteboard }),
    get: async (whiteboardId: string) =>
      (await unaryCall(client.get.bind(client), { whiteboardId })).whiteboard,
    list: async (request: Partial<lzyWhiteboardService.ListRequest>) =>
      (
        await unaryCall(client.list.bind(client), {
          name: '',
          tags: [],
          createdTimeBounds: {},
          ...request,
        })
      ).whiteboards,
  };
}

/** A complete whiteboard as pylzy registers it. */
export function whiteboardOf(
  id: string,
  overrides: Partial<lzyWhiteboard.Whiteboard> = {},
): lzyWhiteboard.Whiteboard {
  return {
    id,
    name: 'experiment',
    tags: ['nightly', 'gpu'],
    fields: [
      { name: 'model', scheme: scheme('pickle', 'py', { 'lzy.version': '1.0.1' }) },
      { name: 'accuracy', scheme: scheme('proto', 'py', {}) },
    ],
    storage: { name: 'provided_default_storage', description: '', uri: `s3://bucket/wb/${id}` },
    namespace: 'default',
    status: lzyWhiteboard.Whiteboard_Status.CREATED,
    createdAt: new Date('2023-02-03T14:00:00.123Z'),
    ...overrides,
  };
}

function scheme(dataFormat: string, schemeFormat: string, metadata: Record<string, string>) {
  return { dataFormat, schemeFormat, schemeContent: '', metadata };
}

/** A unary call with raw request and response bytes (to check exact encodings). */
export function rawUnary(
  address: string,
  subjectId: string,
  path: string,
  request: Uint8Array,
): Promise<Buffer> {
  const client = new Client(address, credentials.createInsecure());
  const metadata = new Metadata();
  metadata.set('authorization', `Bearer ${subjectId}`);
  return new Promise<Buffer>((resolve, reject) => {
    client.makeUnaryRequest(
      path,
      (bytes: Uint8Array) => Buffer.from(bytes),
      (bytes: Buffer) => bytes,
      request,
      metadata,
      (err: ServiceError | null, response?: Buffer) => {
        client.close();
        if (err) reject(fromGrpcError(err));
        else resolve(response!);
      },
    );
  });
}
