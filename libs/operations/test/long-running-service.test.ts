import { Metadata } from '@grpc/grpc-js';
import type { Client } from '@grpc/grpc-js';
import { closeDatabase } from '@lzy/db';
import { InvalidArgument, NotFound } from '@lzy/errors';
import {
  createChannelClient,
  GrpcCallError,
  implement,
  serverStream,
  startGrpcServer,
  unaryCall,
} from '@lzy/grpc';
import type { Authenticator, ClientConstructor, GrpcServer } from '@lzy/grpc';
import { longrunning, lzyWorkflowService, operations, unpackAny } from '@lzy/proto';
import { usePostgres } from '@lzy/testing';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  idempotencyOf,
  longRunningService,
  OperationStore,
  operationsService,
  packMessage,
  toProtoOperation,
} from '../src/index.ts';
import type { OperationDatabase } from '../src/index.ts';
import { openDatabase, operationTemplate, packed, silentLog, systemClock } from './fixtures.ts';

const { FinishWorkflowRequest, FinishWorkflowResponse } = lzyWorkflowService;

/** Test double of our own Authenticator port: the bearer token is the subject id. */
const tokenIsSubject: Authenticator = {
  authenticate: (authorization) =>
    Promise.resolve({ id: authorization.slice('Bearer '.length), type: 'USER' }),
};

/**
 * FinishWorkflow as a service would write it: an idempotent call returning an Operation
 * (public-api §4.3), here just creating the operation.
 */
function finishWorkflowOnly(store: OperationStore) {
  const unimplemented = 'unimplemented' as const;
  return implement(lzyWorkflowService.LzyWorkflowServiceService, {
    finishWorkflow: async (request, ctx) => {
      const { operation } = await store.create(
        { description: `Finish workflow: ${request.workflowName}`, createdBy: ctx.subject!.id },
        idempotencyOf(ctx.idempotencyKey, FinishWorkflowRequest, request),
      );
      return toProtoOperation(operation);
    },
    startWorkflow: unimplemented,
    abortWorkflow: unimplemented,
    executeGraph: unimplemented,
    graphStatus: unimplemented,
    stopGraph: unimplemented,
    readStdSlots: unimplemented,
    getAvailablePools: unimplemented,
    getStorageCredentials: unimplemented,
  });
}

describe('LongRunningService over gRPC', () => {
  const pg = usePostgres({ template: operationTemplate });
  let db: Kysely<OperationDatabase>;
  let store: OperationStore;
  let server: GrpcServer;
  const clientAs = <C extends Client>(Ctor: ClientConstructor<C>, subject: string) =>
    createChannelClient(Ctor, `127.0.0.1:${server.port}`, {
      callCredentials: () => Promise.resolve(subject),
      retry: false,
    });
  let alice: longrunning.LongRunningServiceClient;
  let bob: longrunning.LongRunningServiceClient;

  beforeAll(async () => {
    db = openDatabase(pg.url);
    store = new OperationStore({ db, clock: systemClock });
    server = await startGrpcServer({
      name: 'operations-test',
      port: 0,
      log: silentLog,
      authenticator: tokenIsSubject,
      services: [
        longRunningService({ store }),
        operationsService({ store }),
        finishWorkflowOnly(store),
      ],
    });
    alice = clientAs(longrunning.LongRunningServiceClient, 'alice');
    bob = clientAs(longrunning.LongRunningServiceClient, 'bob');
  });
  afterAll(async () => {
    alice?.close();
    bob?.close();
    await server?.stop();
    await closeDatabase(db);
  });

  const get = (client: longrunning.LongRunningServiceClient, operationId: string) =>
    unaryCall(client.get.bind(client), { operationId });

  it('returns done=false, then done=true with the packed response', async () => {
    const { operation } = await store.create({ description: 'finish', createdBy: 'alice' });

    expect(await get(alice, operation.id)).toMatchObject({
      id: operation.id,
      done: false,
      createdBy: 'alice',
    });

    await store.complete(operation.id, packMessage(FinishWorkflowResponse, {}));
    const done = await get(alice, operation.id);
    expect(done.done).toBe(true);
    expect(done.result?.$case).toBe('response');
    const any = done.result?.$case === 'response' ? done.result.value : undefined;
    expect(any?.typeUrl).toBe('type.googleapis.com/ai.lzy.v1.workflow.FinishWorkflowResponse');
    expect(unpackAny(FinishWorkflowResponse, any!)).toEqual({});
  });

  it('sends a failure as google.rpc.Status with the numeric gRPC code', async () => {
    const { operation } = await store.create({ description: 'd', createdBy: 'alice' });
    await store.fail(operation.id, { code: 'UNAVAILABLE', message: 'allocator unreachable' });

    const done = await get(alice, operation.id);
    expect(done.result).toEqual({
      $case: 'error',
      value: { code: 14, message: 'allocator unreachable', details: [] },
    });
  });

  it('answers NOT_FOUND for an unknown id', async () => {
    await expect(get(alice, 'no-such-operation')).rejects.toBeInstanceOf(NotFound);
  });

  it("answers NOT_FOUND for another subject's operation", async () => {
    const { operation } = await store.create({ description: 'd', createdBy: 'alice' });

    await expect(get(bob, operation.id)).rejects.toBeInstanceOf(NotFound);
  });

  it('cancels with the given message, and answers INVALID_ARGUMENT once done', async () => {
    const { operation } = await store.create({ description: 'd', createdBy: 'alice' });
    const cancel = (message: string) =>
      unaryCall(alice.cancel.bind(alice), { operationId: operation.id, message });

    const cancelled = await cancel('not needed any more');
    expect(cancelled.result).toEqual({
      $case: 'error',
      value: { code: 1, message: 'not needed any more', details: [] },
    });
    await expect(cancel('again')).rejects.toBeInstanceOf(InvalidArgument);
  });

  it('answers UNIMPLEMENTED to List, as Java did', async () => {
    const error = await unaryCall(alice.list.bind(alice), {
      resourceId: '',
      pageSize: 10,
      pageToken: '',
      filter: '',
    }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(GrpcCallError);
    expect((error as GrpcCallError).code).toBe(12);
  });

  it('replays an idempotent request and rejects a reused idempotency key with a different request (INVALID_ARGUMENT)', async () => {
    const workflows = clientAs(lzyWorkflowService.LzyWorkflowServiceClient, 'alice');
    const metadata = new Metadata();
    metadata.set('idempotency-key', 'finish-wf-1');
    const finish = (executionId: string) =>
      unaryCall(
        workflows.finishWorkflow.bind(workflows),
        { workflowName: 'wf', executionId, reason: 'done' },
        { metadata },
      );
    try {
      const first = await finish('exec-1');
      const replay = await finish('exec-1');
      expect(replay.id).toBe(first.id);

      const error = await finish('exec-2').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidArgument);
      expect((error as Error).message).toMatch(/^Idempotency key conflict: /);
    } finally {
      workflows.close();
    }
  });

  it('streams an operation with WatchOperation: current state, meta update, then completion', async () => {
    const watcher = clientAs(operations.OperationsServiceClient, 'alice');
    const { operation } = await store.create({ description: 'watched', createdBy: 'alice' });
    const seen: longrunning.Operation[] = [];
    try {
      const stream = serverStream(watcher.watchOperation.bind(watcher), {
        operationId: operation.id,
      });
      for await (const { operation: op } of stream) {
        seen.push(op!);
        if (seen.length === 1)
          await store.updateMeta(operation.id, packed('ai.lzy.v1.test.Meta', 'half'));
        if (seen.length === 2)
          await store.complete(operation.id, packMessage(FinishWorkflowResponse, {}));
      }
    } finally {
      watcher.close();
    }

    expect(seen.map((op) => [op.done, op.metadata?.typeUrl])).toEqual([
      [false, undefined],
      [false, 'type.googleapis.com/ai.lzy.v1.test.Meta'],
      [true, 'type.googleapis.com/ai.lzy.v1.test.Meta'],
    ]);
  });
});
