import { AlreadyExists, InvalidArgument, PermissionDenied } from '@lzy/errors';
import { serverStream, unaryCall } from '@lzy/grpc';
import { graphExecutor } from '@lzy/proto';
import { usePostgres } from '@lzy/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningGraphExecutor } from '../src/index.ts';
import { clientAs, graphExecutorTemplate, startForTest, task } from './fixtures.ts';
import { SchedulerDouble } from './scheduler-double.ts';

const { GRAPH_STATE_COMPLETED, GRAPH_STATE_FAILED } = graphExecutor.GraphState;
type Client = graphExecutor.GraphExecutorServiceClient;

describe('GraphExecutorService', () => {
  const pg = usePostgres({ template: graphExecutorTemplate });
  const schedulerDouble = new SchedulerDouble();
  let service: RunningGraphExecutor;
  let client: Client;
  let counter = 0;

  beforeAll(async () => {
    await schedulerDouble.start();
    service = await startForTest(pg.url, schedulerDouble.port);
    client = clientAs(service.port, 'lzy-internal');
  });
  afterAll(async () => {
    client?.close();
    await service?.stop();
    await schedulerDouble.stop();
  });

  /** A fresh execution id; task ids are prefixed with it so the shared double keeps them apart. */
  const newExecution = () => `exec-${++counter}`;
  const execute = (c: Client, executionId: string, tasks: graphExecutor.Task[], graphId = 'g') =>
    unaryCall(c.executeGraph.bind(c), {
      executionId,
      workflowName: 'wf',
      userId: 'alice',
      graphId,
      parentGraphId: '',
      tasks,
      portalAddress: '127.0.0.1:9999',
    });
  const getGraph = async (executionId: string, graphId = 'g') =>
    (await unaryCall(client.getGraph.bind(client), { executionId, graphId })).status;
  /** Submitted tasks of execution `e` (ids without the `<e>.` prefix) → their dependencies. */
  const submittedOf = (e: string) =>
    Object.fromEntries(
      [...schedulerDouble.submitted(e)].map(([id, deps]) => [
        id.slice(e.length + 1),
        deps.map((d) => d.slice(e.length + 1)),
      ]),
    );

  it('submits a diamond at once, each task with its producers, and completes when all succeeded', async () => {
    const e = newExecution();
    const t = (id: string) => `${e}.${id}`;
    await execute(client, e, [
      task(t('a'), ['stored'], ['x']),
      task(t('b'), ['x'], ['y']),
      task(t('c'), ['x'], ['z']),
      task(t('d'), ['y', 'z'], ['out']),
    ]);
    await expect.poll(() => submittedOf(e)).toEqual({ a: [], b: ['a'], c: ['a'], d: ['b', 'c'] });
    expect(schedulerDouble.submits.at(-1)?.portalAddress).toBe('127.0.0.1:9999');
    expect([...schedulerDouble.authorizations].every((a) => a.startsWith('Bearer ey'))).toBe(true);
    for (const id of ['a', 'b', 'c']) schedulerDouble.push(e, t(id), 'SUCCEEDED');
    await expect
      .poll(async () => (await getGraph(e))?.tasks.filter((x) => x.state === 4).length)
      .toBe(3);
    expect((await getGraph(e))?.state).toBe(graphExecutor.GraphState.GRAPH_STATE_EXECUTING);
    schedulerDouble.push(e, t('d'), 'SUCCEEDED');
    await expect.poll(async () => (await getGraph(e))?.state).toBe(GRAPH_STATE_COMPLETED);
  });

  it('fails the graph on a task failure, stops the others, and WatchGraph ends with FAILED', async () => {
    const e = newExecution();
    const t = (id: string) => `${e}.${id}`;
    await execute(client, e, [task(t('a'), [], ['x']), task(t('b'), [], ['y'])]);
    const states: graphExecutor.GraphStatus[] = [];
    const watching = (async () => {
      for await (const m of serverStream(client.watchGraph.bind(client), {
        executionId: e,
        graphId: 'g',
      }))
        if (m.status) states.push(m.status);
    })();
    await expect.poll(() => Object.keys(submittedOf(e)).sort()).toEqual(['a', 'b']);
    schedulerDouble.push(e, t('a'), 'FAILED', { rc: 3, description: 'boom' });
    await watching;
    expect(states.at(-1)).toMatchObject({
      state: GRAPH_STATE_FAILED,
      description: `Task op-${t('a')} failed: exit code 3: boom`,
    });
    expect(schedulerDouble.stopped).toContain(t('b'));
  });

  it('sends WatchGraph every task first, then only the tasks that changed', async () => {
    const e = newExecution();
    const t = (id: string) => `${e}.${id}`;
    await execute(client, e, [task(t('a'), [], ['x']), task(t('b'), [], ['y'])]);
    await expect.poll(async () => (await getGraph(e))?.tasks.length).toBe(2);
    await expect
      .poll(async () => (await getGraph(e))?.state)
      .toBe(graphExecutor.GraphState.GRAPH_STATE_EXECUTING);
    const messages: graphExecutor.GraphStatus[] = [];
    const watching = (async () => {
      for await (const m of serverStream(client.watchGraph.bind(client), {
        executionId: e,
        graphId: 'g',
      }))
        if (m.status) messages.push(m.status);
    })();
    await expect.poll(() => messages.length).toBe(1);
    expect(messages[0]?.tasks.map((x) => x.taskId)).toEqual([t('a'), t('b')]);
    schedulerDouble.push(e, t('a'), 'SUCCEEDED');
    await expect.poll(() => messages.length).toBe(2);
    expect(messages[1]?.tasks.map((x) => x.taskId)).toEqual([t('a')]);
    schedulerDouble.push(e, t('b'), 'SUCCEEDED');
    await watching;
    expect(messages.at(-1)?.state).toBe(GRAPH_STATE_COMPLETED);
  });

  it('rejects a cycle naming its tasks', async () => {
    const e = newExecution();
    const error = await execute(client, e, [
      task(`${e}.a`, ['z'], ['x']),
      task(`${e}.b`, ['x'], ['z']),
    ]).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(InvalidArgument);
    expect((error as Error).message).toMatch(new RegExp(`cycle.*${e}\\.(a|b).*${e}\\.(a|b)`));
  });

  it('accepts an input no task of the graph produces (stored data): no dependency for it', async () => {
    const e = newExecution();
    await execute(client, e, [task(`${e}.a`, ['already-stored'], ['x'])]);
    await expect.poll(() => submittedOf(e)).toEqual({ a: [] });
  });

  it('runs f(f(x)): a task whose input slot has the name of its own output slot depends on f', async () => {
    const e = newExecution();
    const second = task(`${e}.second`, ['first-result'], ['second-result']);
    const operation = second.taskDesc?.operation;
    for (const slot of operation?.slots ?? []) slot.name = '/call-2/f.return_0';
    for (const a of second.taskDesc?.slotAssignments ?? []) a.slotName = '/call-2/f.return_0';
    await execute(client, e, [task(`${e}.first`, ['x'], ['first-result']), second]);
    await expect.poll(() => submittedOf(e)).toEqual({ first: [], second: ['first'] });
    schedulerDouble.push(e, `${e}.first`, 'SUCCEEDED');
    schedulerDouble.push(e, `${e}.second`, 'SUCCEEDED');
    await expect.poll(async () => (await getGraph(e))?.state).toBe(GRAPH_STATE_COMPLETED);
  });

  it('stops unfinished tasks on StopGraph', async () => {
    const e = newExecution();
    await execute(client, e, [task(`${e}.a`, [], ['x']), task(`${e}.b`, ['x'], ['y'])]);
    await expect.poll(() => Object.keys(submittedOf(e))).toEqual(['a', 'b']);
    schedulerDouble.push(e, `${e}.a`, 'EXECUTING');
    const { status } = await unaryCall(client.stopGraph.bind(client), {
      executionId: e,
      graphId: 'g',
      reason: 'user asked',
    });
    expect(status).toMatchObject({ state: GRAPH_STATE_FAILED, description: 'user asked' });
    await expect
      .poll(() => schedulerDouble.stopped.filter((id) => id.startsWith(e)).sort())
      .toEqual([`${e}.a`, `${e}.b`]);
  });

  it('answers a retried ExecuteGraph with the same graph and refuses other tasks under its id', async () => {
    const e = newExecution();
    const tasks = [task(`${e}.a`, [], ['x'])];
    const first = await execute(client, e, tasks);
    const again = await execute(client, e, tasks);
    expect(again.status?.graphId).toBe(first.status?.graphId);
    await expect(execute(client, e, [task(`${e}.other`, [], [])])).rejects.toBeInstanceOf(
      AlreadyExists,
    );
    const { graphs } = await unaryCall(client.listGraphs.bind(client), { executionId: e });
    expect(graphs).toHaveLength(1);
    await expect.poll(() => submittedOf(e)).toEqual({ a: [] });
  });

  it('refuses an end user with PERMISSION_DENIED', async () => {
    const alice = clientAs(service.port, 'alice');
    try {
      await expect(execute(alice, newExecution(), [task('z', [], [])])).rejects.toBeInstanceOf(
        PermissionDenied,
      );
    } finally {
      alice.close();
    }
  });

  it('refuses a VM every GraphExecutorService RPC, naming why', async () => {
    const e = newExecution();
    await execute(client, e, [task(`${e}.a`, [], [])]);
    const vm = clientAs(service.port, 'vm-bob');
    try {
      await expect(execute(vm, newExecution(), [task('v', [], [])])).rejects.toThrow(
        /LZY services only: VMs/,
      );
      await expect(unaryCall(vm.listGraphs.bind(vm), { executionId: e })).rejects.toThrow(
        /LZY services only: VMs/,
      );
    } finally {
      vm.close();
    }
    const { graphs } = await unaryCall(client.listGraphs.bind(client), { executionId: e });
    expect(graphs).toHaveLength(1);
  });

  it('continues a graph after a restart of the graph executor', async () => {
    const e = newExecution();
    await execute(client, e, [task(`${e}.a`, [], ['x']), task(`${e}.b`, ['x'], ['y'])]);
    await expect.poll(() => Object.keys(submittedOf(e))).toEqual(['a', 'b']);
    client.close();
    await service.stop();
    schedulerDouble.push(e, `${e}.a`, 'SUCCEEDED'); // while the graph executor is down

    service = await startForTest(pg.url, schedulerDouble.port);
    client = clientAs(service.port, 'lzy-internal');
    await expect
      .poll(async () => (await getGraph(e))?.tasks.find((x) => x.taskId === `${e}.a`)?.state)
      .toBe(4);
    schedulerDouble.push(e, `${e}.b`, 'SUCCEEDED');
    await expect.poll(async () => (await getGraph(e))?.state).toBe(GRAPH_STATE_COMPLETED);
  });
});
