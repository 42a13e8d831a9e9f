import type { ChannelCredentials, Client } from '@grpc/grpc-js';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { generateRsaKeyPair } from '@lzy/auth';
import type { RsaKeyPair } from '@lzy/auth';
import {
  LocalAuthenticator,
  createChannelClient,
  internalCallCredentials,
  serverStream,
  unaryCall,
} from '@lzy/grpc';
import type { Authenticator } from '@lzy/grpc';
import { createLogger } from '@lzy/logging';
import type { Logger } from '@lzy/logging';
import { commonSlot, worker } from '@lzy/proto';
import type { commonOperation, longrunning } from '@lzy/proto';
import type { CleanupStack } from '@lzy/testing';
import { loadWorkerConfig, startWorker } from '../src/index.ts';
import type { RunningWorker } from '../src/index.ts';

export const log: Logger = createLogger({ service: 'worker-test', level: 'silent' });
const clock = { now: () => Date.now() };

/** A worker started in-process with the test's internal key trusted, plus a client for it. */
export interface TestWorker {
  running: RunningWorker;
  client: worker.WorkerServiceClient;
  mountDir: string;
}

export async function tempDir(cleanup: CleanupStack, name: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `lzy-worker-${name}-`));
  cleanup.defer(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

let keys: Promise<RsaKeyPair> | undefined;
export function internalKeys(): Promise<RsaKeyPair> {
  return (keys ??= generateRsaKeyPair());
}

let vmKeys: Promise<RsaKeyPair> | undefined;
/** The key every test VM signs with (see `testAuthenticator`). */
export function vmKeysForTest(): Promise<RsaKeyPair> {
  return (vmKeys ??= generateRsaKeyPair());
}

/**
 * Inbound authentication of test workers, as iam would answer: `lzy-internal` is the services'
 * identity; a login `vm-<user>-<n>` is a VM working for `<user>`, any other `vm-…` a VM of no
 * recorded user.
 */
export async function testAuthenticator(): Promise<Authenticator> {
  const [internal, vm] = await Promise.all([internalKeys(), vmKeysForTest()]);
  return new LocalAuthenticator({
    clock,
    findPublicKeys: (login, provider) => {
      if (provider !== 'INTERNAL') return Promise.resolve(undefined);
      if (login === 'lzy-internal')
        return Promise.resolve({
          subject: { id: login, type: 'SERVICE' },
          publicKeyPems: [internal.publicKeyPem],
        });
      if (!login.startsWith('vm-')) return Promise.resolve(undefined);
      const ownerUserId = /^vm-([a-z0-9]+)-\d+$/.exec(login)?.[1];
      return Promise.resolve({
        subject: { id: login, type: 'VM', ...(ownerUserId === undefined ? {} : { ownerUserId }) },
        publicKeyPems: [vm.publicKeyPem],
      });
    },
  });
}

/** A client of `Client` at `address` signed as the VM `login` (see `testAuthenticator`). */
export async function vmClient<C extends Client>(
  Ctor: new (address: string, creds: ChannelCredentials) => C,
  address: string,
  login: string,
  cleanup: CleanupStack,
): Promise<C> {
  const { privateKeyPem } = await vmKeysForTest();
  const client = createChannelClient(Ctor, address, {
    callCredentials: internalCallCredentials({ privateKeyPem, issuer: login, clock }),
    retry: false,
  });
  cleanup.defer(() => client.close());
  return client;
}

export async function startTestWorker(
  cleanup: CleanupStack,
  env: Record<string, string> = {},
): Promise<TestWorker> {
  const { publicKeyPem, privateKeyPem } = await internalKeys();
  const mountDir = await tempDir(cleanup, 'mount');
  const config = loadWorkerConfig({
    LZY_PORT: '0',
    LZY_LOG_LEVEL: 'silent',
    LZY_WORKER_MOUNT_DIR: mountDir,
    LZY_WORKER_TRUSTED_PUBLIC_KEYS: JSON.stringify({ 'lzy-internal': publicKeyPem }),
    LZY_INTERNAL_PRIVATE_KEY: privateKeyPem,
    LZY_WORKER_STOP_GRACE_MS: '2000',
    ...env,
  });
  const running = cleanup.push(
    await startWorker(config, { log, authenticator: await testAuthenticator() }),
  );
  const client = createChannelClient(worker.WorkerServiceClient, running.address, {
    callCredentials: internalCallCredentials({ privateKeyPem, clock }),
  });
  cleanup.defer(() => client.close());
  return { running, client, mountDir };
}

/** A client of `Client` at `address` calling as the internal identity. */
export async function internalClient<C extends Client>(
  Ctor: new (address: string, creds: ChannelCredentials) => C,
  address: string,
  cleanup: CleanupStack,
): Promise<C> {
  const { privateKeyPem } = await internalKeys();
  const client = createChannelClient(Ctor, address, {
    callCredentials: internalCallCredentials({ privateKeyPem, clock }),
  });
  cleanup.defer(() => client.close());
  return client;
}

export function slot(name: string, direction: 'INPUT' | 'OUTPUT'): commonSlot.Slot {
  return {
    name,
    media: commonSlot.Slot_Media.FILE,
    direction:
      direction === 'INPUT' ? commonSlot.Slot_Direction.INPUT : commonSlot.Slot_Direction.OUTPUT,
    contentType: undefined,
  };
}

export function taskDesc(
  command: string,
  slots: Array<{ slot: commonSlot.Slot; channelId: string; plannedSender?: string }> = [],
): commonOperation.TaskDesc {
  return {
    operation: {
      env: undefined,
      requirements: undefined,
      command,
      slots: slots.map((s) => s.slot),
      description: '',
      name: 'op',
      stdout: undefined,
      stderr: undefined,
    },
    slotAssignments: slots.map((s) => ({
      slotName: s.slot.name,
      channelId: s.channelId,
      lzyTsSenderUri: s.plannedSender ?? '',
    })),
  };
}

export async function initAndExecute(
  w: TestWorker,
  task: { taskId: string; desc: commonOperation.TaskDesc; portalAddress?: string },
): Promise<longrunning.Operation> {
  await unaryCall(w.client.init.bind(w.client), {
    userId: 'u1',
    workflowName: 'wf',
    executionId: 'e1',
  });
  return unaryCall(w.client.execute.bind(w.client), {
    taskId: task.taskId,
    executionId: 'e1',
    taskDesc: task.desc,
    portalAddress: task.portalAddress ?? '',
  });
}

/** Every WatchExecution event of a task until the stream ends. */
export async function watchAll(
  w: TestWorker,
  taskId: string,
  onEvent: (e: worker.WatchExecutionResponse) => void = () => undefined,
): Promise<worker.WatchExecutionResponse[]> {
  const events: worker.WatchExecutionResponse[] = [];
  for await (const e of serverStream(w.client.watchExecution.bind(w.client), {
    taskId,
    stdoutOffset: 0,
    stderrOffset: 0,
  })) {
    events.push(e);
    onEvent(e);
  }
  return events;
}

export function finishedOf(
  events: worker.WatchExecutionResponse[],
): worker.WatchExecutionResponse_Finished | undefined {
  const last = events.at(-1)?.event;
  return last?.$case === 'finished' ? last.value : undefined;
}

export function stdText(
  events: worker.WatchExecutionResponse[],
  stream: 'stdout' | 'stderr',
): string {
  return Buffer.concat(
    events.flatMap((e) => (e.event?.$case === stream ? [e.event.value.data] : [])),
  ).toString('utf8');
}
