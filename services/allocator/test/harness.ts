import { fileURLToPath } from 'node:url';
import { generateRsaKeyPair } from '@lzy/auth';
import type { RsaKeyPair } from '@lzy/auth';
import { createChannelClient, internalCallCredentials, serverStream, unaryCall } from '@lzy/grpc';
import type { Authenticator } from '@lzy/grpc';
import { createLogger } from '@lzy/logging';
import { allocator, operations } from '@lzy/proto';
import type { longrunning } from '@lzy/proto';
import { loadAllocatorConfig, startAllocator } from '../src/index.ts';
import type { RunningAllocator } from '../src/index.ts';

export const log = createLogger({ service: 'allocator-test', level: 'silent' });
export const FAKE_VM = fileURLToPath(new URL('./fixtures/fake-vm.ts', import.meta.url));

let keys: Promise<RsaKeyPair> | undefined;
/** The internal identity's key pair of this test file. */
export function internalKeys(): Promise<RsaKeyPair> {
  return (keys ??= generateRsaKeyPair());
}

export interface TestAllocator {
  readonly running: RunningAllocator;
  readonly address: string;
  readonly client: allocator.AllocatorServiceClient;
  readonly agent: allocator.AllocatorPrivateServiceClient;
  readonly operations: operations.OperationsServiceClient;
  stop(): Promise<void>;
}

/** A started allocator on `dbUrl` running fake VMs, with clients calling as lzy-internal. */
export async function startTestAllocator(
  dbUrl: string,
  env: Record<string, string> = {},
  authenticator?: Authenticator,
): Promise<TestAllocator> {
  const { privateKeyPem } = await internalKeys();
  const config = loadAllocatorConfig({
    LZY_PORT: '0',
    LZY_LOG_LEVEL: 'silent',
    LZY_SHUTDOWN_GRACE_MS: '200',
    LZY_DB_URL: dbUrl,
    LZY_INTERNAL_PRIVATE_KEY: privateKeyPem,
    LZY_ALLOCATOR_LOCAL_WORKER_MAIN: FAKE_VM,
    LZY_ALLOCATOR_LOCAL_PORTAL_MAIN: FAKE_VM,
    LZY_ALLOCATOR_SWEEP_INTERVAL_MS: '50',
    LZY_ALLOCATOR_KILL_GRACE_MS: '2000',
    ...env,
  });
  const running = await startAllocator(config, {
    log,
    ...(authenticator === undefined ? {} : { authenticator }),
  });
  await running.ready;
  const address = `127.0.0.1:${running.port}`;
  const callCredentials = internalCallCredentials({ privateKeyPem, clock: Date });
  const options = { callCredentials, deadlineMs: 20_000 };
  const client = createChannelClient(allocator.AllocatorServiceClient, address, options);
  const agent = createChannelClient(allocator.AllocatorPrivateServiceClient, address);
  const ops = createChannelClient(operations.OperationsServiceClient, address, options);
  return {
    running,
    address,
    client,
    agent,
    operations: ops,
    stop: async () => {
      client.close();
      agent.close();
      ops.close();
      await running.stop();
    },
  };
}

export async function createSession(t: TestAllocator, idleTimeoutMs = 60_000): Promise<string> {
  const response = await unaryCall(t.client.createSession.bind(t.client), {
    owner: 'alice/wf',
    ownerUserId: 'alice',
    description: 'test',
    idleTimeoutMs,
  });
  return response.sessionId;
}

export function allocateRequest(
  sessionId: string,
  overrides: Partial<allocator.AllocateRequest> = {},
): allocator.AllocateRequest {
  return {
    sessionId,
    poolLabel: 's',
    zone: '',
    clusterType: allocator.ClusterType.CLUSTER_TYPE_WORKER,
    initWorkloads: [],
    workloads: [],
    volumes: [],
    ...overrides,
  };
}

/** A `worker` workload with the fake VM's knobs in its env. */
export function workerWorkload(env: Record<string, string>): allocator.Workload {
  return { name: 'worker', image: '', env, args: [], ports: [], volumeMounts: [] };
}

export function allocate(
  t: TestAllocator,
  request: allocator.AllocateRequest,
): Promise<longrunning.Operation> {
  return unaryCall(t.client.allocate.bind(t.client), request);
}

/** Waits (WatchOperation, pushed) until the operation is done. */
export async function waitDone(
  t: TestAllocator,
  operationId: string,
): Promise<longrunning.Operation> {
  let last: longrunning.Operation | undefined;
  for await (const message of serverStream(t.operations.watchOperation.bind(t.operations), {
    operationId,
  })) {
    last = message.operation;
    if (last?.done) return last;
  }
  throw new Error(`WatchOperation ${operationId} ended before the operation was done`);
}

export function allocateResponseOf(op: longrunning.Operation): allocator.AllocateResponse {
  if (op.result?.$case !== 'response') {
    throw new Error(`operation ${op.id} has no response: ${JSON.stringify(op.result)}`);
  }
  return allocator.AllocateResponse.decode(op.result.value.value);
}

/** Allocates and waits for the VM to register. */
export async function allocateRunning(
  t: TestAllocator,
  request: allocator.AllocateRequest,
): Promise<allocator.AllocateResponse & { pid: number }> {
  const op = await allocate(t, request);
  const response = allocateResponseOf(await waitDone(t, op.id));
  return { ...response, pid: Number(response.metadata.PID) };
}

export async function vmStatus(t: TestAllocator, vmId: string): Promise<string> {
  const { vm } = await unaryCall(t.client.getVm.bind(t.client), { vmId });
  return allocator.vmStatusToJSON(vm?.status ?? 0);
}

/** True while a process with this pid exists. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
