import { randomUUID } from 'node:crypto';
import { NotFound, PermissionDenied } from '@lzy/errors';
import { createChannelClient, serverStream, unaryCall } from '@lzy/grpc';
import type { Authenticator, Subject } from '@lzy/grpc';
import { graphExecutor, monitor } from '@lzy/proto';
import { testEncryptionKeys, usePostgres } from '@lzy/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadLzyServiceConfig, startLzyService } from '../src/index.ts';
import type { RunningLzyService } from '../src/index.ts';
import { ClusterDouble } from './doubles/cluster-double.ts';
import { graphOf, lzyServiceTemplate, operation, publicClients, silentLog } from './fixtures.ts';

const pg = usePostgres({ template: lzyServiceTemplate });
const cluster = new ClusterDouble();
let service: RunningLzyService;
let alice: ReturnType<typeof publicClients>;
let bob: ReturnType<typeof publicClients>;
let internal: monitor.ExecutionMonitorServiceClient;
let asAlice: monitor.ExecutionMonitorServiceClient;

/** The test's tokens: two users, the services' internal identity and a VM of bob. */
const SUBJECTS: Record<string, Subject> = {
  'Bearer alice.test.token': { id: 'alice', type: 'USER' },
  'Bearer bob.test.token': { id: 'bob', type: 'USER' },
  'Bearer internal.test.token': { id: 'lzy-internal', type: 'USER' },
  'Bearer vm.test.token': { id: 'vm-of-bob', type: 'VM' },
};
const authenticator: Authenticator = {
  authenticate: (authorization) => {
    const subject = SUBJECTS[authorization];
    return subject === undefined
      ? Promise.reject(new PermissionDenied('unknown token'))
      : Promise.resolve(subject);
  },
};

beforeAll(async () => {
  await cluster.start(silentLog);
  const config = loadLzyServiceConfig({
    LZY_PORT: '0',
    LZY_LOG_LEVEL: 'silent',
    LZY_DB_URL: pg.url,
    LZY_IAM_ADDRESS: cluster.address,
    LZY_STORAGE_ADDRESS: cluster.address,
    LZY_ALLOCATOR_ADDRESS: cluster.address,
    LZY_CHANNEL_MANAGER_ADDRESS: cluster.address,
    LZY_GRAPH_EXECUTOR_ADDRESS: cluster.address,
    LZY_ENCRYPTION_KEYS: testEncryptionKeys(),
  });
  service = await startLzyService(config, { log: silentLog, authenticator });
  expect(await service.ready).toBe(true);
  const address = `127.0.0.1:${service.port}`;
  alice = publicClients(address, 'alice.test.token');
  bob = publicClients(address, 'bob.test.token');
  const client = (token: string) =>
    createChannelClient(monitor.ExecutionMonitorServiceClient, address, {
      callCredentials: () => Promise.resolve(token),
      retry: false,
    });
  internal = client('internal.test.token');
  asAlice = client('alice.test.token');
});

afterAll(async () => {
  alice?.close();
  bob?.close();
  internal?.close();
  asAlice?.close();
  await service?.stop();
  await cluster.stop();
});

const list = (request: Partial<monitor.ListExecutionsRequest>) =>
  unaryCall(internal.listExecutions.bind(internal), {
    ...monitor.ListExecutionsRequest.fromPartial({}),
    ...request,
  });

describe('ExecutionMonitorService', () => {
  it("lists a user's executions only, newest first, with their op counts", async () => {
    const workflow = `monitor-${randomUUID()}`;
    const first = await alice.start(workflow);
    const second = await alice.start(`${workflow}-b`);
    await bob.start(workflow);
    const c = alice.workflow;
    await unaryCall(c.executeGraph.bind(c), {
      workflowName: `${workflow}-b`,
      executionId: second.executionId,
      graph: graphOf([
        operation('a', [], [`s3://tmp-bucket-alice/${randomUUID()}`]),
        operation('b', [], []),
      ]),
    });
    const page = await list({ userId: 'alice', workflowName: workflow.toUpperCase() });
    expect(page.executions.map((e) => e.executionId)).toEqual([
      second.executionId,
      first.executionId,
    ]);
    expect(page.executions[0]).toMatchObject({ userId: 'alice', opCount: 2, graphCount: 1 });
    expect(page.executions[0]?.status).toBe(monitor.ExecutionStatus.EXECUTION_STATUS_RUNNING);
  });

  it('pages with a token', async () => {
    const workflow = `paged-${randomUUID()}`;
    for (let i = 0; i < 3; i++) await alice.start(`${workflow}-${i}`);
    const one = await list({ userId: 'alice', workflowName: workflow, pageSize: 2 });
    expect(one.executions).toHaveLength(2);
    const two = await list({ workflowName: workflow, pageSize: 2, pageToken: one.nextPageToken });
    expect(two.executions).toHaveLength(1);
    expect(two.nextPageToken).toBe('');
  });

  it('gives the ops of a graph with their storage URIs and the channels that join them', async () => {
    const workflow = `detail-${randomUUID()}`;
    const { executionId } = await alice.start(workflow);
    const data = `s3://tmp-bucket-alice/${randomUUID()}`;
    const c = alice.workflow;
    const { graphId } = await unaryCall(c.executeGraph.bind(c), {
      workflowName: workflow,
      executionId,
      graph: graphOf([operation('producer', [], [data]), operation('consumer', [data], [])]),
    });
    const detail = await unaryCall(internal.getExecution.bind(internal), {
      executionId,
      userId: 'alice',
    });
    expect(detail.portalAddress).not.toBe('');
    const graph = detail.graphs[0];
    expect(graph?.graphId).toBe(graphId);
    const [producer, consumer] = graph?.ops ?? [];
    expect(producer).toMatchObject({ name: 'producer', poolLabel: 's', taskId: `${graphId}-0` });
    expect(producer?.outputs[0]?.storageUri).toBe(data);
    expect(consumer?.inputs[0]?.storageUri).toBe(data);
    expect(consumer?.inputs[0]?.channelId).toBe(producer?.outputs[0]?.channelId);
  });

  it("answers NOT_FOUND for another user's execution", async () => {
    const { executionId } = await bob.start(`secret-${randomUUID()}`);
    await expect(
      unaryCall(internal.getExecution.bind(internal), { executionId, userId: 'alice' }),
    ).rejects.toBeInstanceOf(NotFound);
  });

  it('refuses end users', async () => {
    await expect(
      unaryCall(
        asAlice.listExecutions.bind(asAlice),
        monitor.ListExecutionsRequest.fromPartial({}),
      ),
    ).rejects.toBeInstanceOf(PermissionDenied);
  });

  it("refuses a VM that asks for alice's executions", async () => {
    const vm = createChannelClient(
      monitor.ExecutionMonitorServiceClient,
      `127.0.0.1:${service.port}`,
      { callCredentials: () => Promise.resolve('vm.test.token'), retry: false },
    );
    const request = { ...monitor.ListExecutionsRequest.fromPartial({}), userId: 'alice' };
    try {
      await expect(unaryCall(vm.listExecutions.bind(vm), request)).rejects.toThrow(
        /LZY services only: VMs/,
      );
    } finally {
      vm.close();
    }
    await expect(unaryCall(internal.listExecutions.bind(internal), request)).resolves.toBeDefined();
  });

  it("pushes a user's new executions and graph failures, not other users'", async () => {
    const abort = new AbortController();
    const seen: monitor.ExecutionSummary[] = [];
    const watching = (async () => {
      const stream = serverStream(
        internal.watchExecutions.bind(internal),
        { userId: 'alice' },
        { signal: abort.signal },
      );
      for await (const message of stream) if (message.execution) seen.push(message.execution);
    })().catch(() => undefined);
    const workflow = `pushed-${randomUUID()}`;
    // The stream has no initial snapshot: start executions until the first one is seen.
    let executionId = '';
    await expect
      .poll(async () => {
        if (executionId === '') executionId = (await alice.start(workflow)).executionId;
        return seen.some((e) => e.executionId === executionId);
      })
      .toBe(true);
    await bob.start(workflow);
    const c = alice.workflow;
    const { graphId } = await unaryCall(c.executeGraph.bind(c), {
      workflowName: workflow,
      executionId,
      graph: graphOf([operation('a', [], [`s3://tmp-bucket-alice/${randomUUID()}`])]),
    });
    cluster.reportGraph(
      executionId,
      graphId,
      graphExecutor.GraphState.GRAPH_STATE_FAILED,
      'rc=3: broken',
    );
    await expect
      .poll(() => seen.find((e) => e.executionId === executionId && e.graphsFailed === 1)?.failure)
      .toBe('rc=3: broken');
    expect(seen.every((e) => e.userId === 'alice')).toBe(true);
    abort.abort();
    await watching;
  });
});
