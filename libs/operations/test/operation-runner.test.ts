import { closeDatabase } from '@lzy/db';
import { NotFound, Unavailable } from '@lzy/errors';
import { CleanupStack, usePostgres } from '@lzy/testing';
import type { Kysely } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { OperationRunner, OperationStore } from '../src/index.ts';
import type {
  JsonObject,
  OperationDatabase,
  OperationKind,
  OperationStep,
  StepContext,
  StepResult,
} from '../src/index.ts';
import {
  openDatabase,
  operationTemplate,
  packed,
  silentLog,
  systemClock,
  text,
} from './fixtures.ts';

const RESPONSE = 'ai.lzy.v1.test.Response';

/** A promise with its resolve function exposed. */
function latch(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

/** A step from a plain (sync or async) function. */
function step(
  name: string,
  run: (ctx: StepContext<JsonObject>) => StepResult | Promise<StepResult>,
): OperationStep<JsonObject> {
  return { name, run: (ctx) => Promise.resolve(ctx).then(run) };
}

/** Resolves when the step's signal aborts, then rejects with its reason (a cooperative step). */
function untilAborted(ctx: StepContext<JsonObject>): Promise<never> {
  return new Promise((_resolve, reject) => {
    if (ctx.signal.aborted) reject(ctx.signal.reason as Error);
    ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason as Error), { once: true });
  });
}

describe('OperationRunner', () => {
  const pg = usePostgres({ template: operationTemplate });
  const stack = new CleanupStack();
  afterEach(() => stack.close());

  /** One "service instance": its own pool, store and runner over the shared database. */
  function startInstance(kinds: OperationKind<JsonObject>[], instanceId?: string) {
    const db: Kysely<OperationDatabase> = openDatabase(pg.url);
    stack.defer(() => closeDatabase(db));
    const store = new OperationStore({ db, clock: systemClock });
    const runner = new OperationRunner({
      db,
      store,
      clock: systemClock,
      log: silentLog,
      instanceId,
      stopTimeoutMs: 5_000,
    });
    for (const kind of kinds) runner.register(kind);
    runner.start();
    stack.defer(() => runner.stop());
    return { db, store, runner };
  }

  it('resumes an unfinished operation after its service is stopped and started again', async () => {
    const runs = { step1: 0, step2: 0, step3: 0 };
    let phase: 'before restart' | 'after restart' = 'before restart';
    const step2Entered = latch();
    const kind: OperationKind<JsonObject> = {
      name: 'three-steps',
      steps: [
        step('one', (ctx) => {
          runs.step1++;
          ctx.state.fromStep1 = 'vm-42';
          return 'continue';
        }),
        step('two', (ctx) => {
          runs.step2++;
          if (phase === 'before restart') {
            step2Entered.open();
            return untilAborted(ctx); // blocks until the service stops
          }
          ctx.state.seenInStep2 = ctx.state.fromStep1 ?? null;
          return 'continue';
        }),
        step('three', (ctx) => {
          runs.step3++;
          return { finish: packed(RESPONSE, `done with ${JSON.stringify(ctx.state.seenInStep2)}`) };
        }),
      ],
    };

    const before = startInstance([kind]);
    const { operation } = await before.runner.submit(
      kind,
      { description: 'three steps', createdBy: 'u' },
      {},
    );
    await step2Entered.promise;
    await before.runner.stop();

    const row = await before.db
      .selectFrom('operation')
      .select(['done', 'step_index', 'step_state', 'lease_owner'])
      .where('id', '=', operation.id)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({
      done: false,
      step_index: 1,
      step_state: { fromStep1: 'vm-42' },
      lease_owner: null,
    });

    phase = 'after restart';
    const after = startInstance([kind]);
    expect(await after.runner.resumeUnfinished()).toEqual([operation.id]);

    const done = await after.store.waitForDone(operation.id, AbortSignal.timeout(10_000));
    expect(text(done.response)).toBe('done with "vm-42"');
    expect(runs).toEqual({ step1: 1, step2: 2, step3: 1 });
  });

  it('replays an idempotent submit without running the steps again', async () => {
    let runs = 0;
    const kind: OperationKind<JsonObject> = {
      name: 'once',
      steps: [step('only', () => ({ finish: packed(RESPONSE, `run ${++runs}`) }))],
    };
    const { runner, store } = startInstance([kind]);
    const key = { key: 'submit-key', requestHash: 'hash-1' };

    const first = await runner.submit(kind, { description: 'd', createdBy: 'u' }, {}, key);
    await store.waitForDone(first.operation.id, AbortSignal.timeout(10_000));
    const again = await runner.submit(kind, { description: 'd', createdBy: 'u' }, {}, key);

    expect(again).toMatchObject({
      created: false,
      operation: { id: first.operation.id, done: true },
    });
    expect(text(again.operation.response)).toBe('run 1');
    expect(runs).toBe(1);
  });

  it('fails an operation past its deadline with DEADLINE_EXCEEDED and runs onExpired', async () => {
    const expired: string[] = [];
    const kind: OperationKind<JsonObject> = {
      name: 'never-ready',
      steps: [step('poll', () => ({ restartAfterMs: 60_000 }))],
      onExpired: (op) => {
        expired.push(op.id);
        return Promise.resolve();
      },
    };
    const { runner, store } = startInstance([kind]);
    const deadline = new Date(systemClock.now() + 300);

    const { operation } = await runner.submit(
      kind,
      { description: 'd', createdBy: 'u', deadline },
      {},
    );
    const done = await store.waitForDone(operation.id, AbortSignal.timeout(10_000));

    expect(done.error?.code).toBe('DEADLINE_EXCEEDED');
    await expect.poll(() => expired, { timeout: 10_000 }).toEqual([operation.id]);
  });

  it('aborts the running step of a cancelled operation and runs no further step', async () => {
    const stepEntered = latch();
    let stepSawAbort = false;
    let laterStepRan = false;
    const kind: OperationKind<JsonObject> = {
      name: 'cancellable',
      steps: [
        {
          name: 'wait',
          run: async (ctx) => {
            stepEntered.open();
            await untilAborted(ctx).catch(() => (stepSawAbort = true));
            return 'continue';
          },
        },
        step('after', () => ((laterStepRan = true), { finish: packed(RESPONSE, '') })),
      ],
    };
    const { runner, store } = startInstance([kind]);
    const { operation } = await runner.submit(kind, { description: 'd', createdBy: 'u' }, {});
    await stepEntered.promise;

    await store.cancel(operation.id, 'user changed their mind');

    await expect.poll(() => stepSawAbort, { timeout: 10_000 }).toBe(true);
    const final = await store.get(operation.id);
    expect(final.error).toEqual({ code: 'CANCELLED', message: 'user changed their mind' });
    expect(laterStepRan).toBe(false);
  });

  it('fails the operation with the code of a domain error thrown by a step', async () => {
    const kind: OperationKind<JsonObject> = {
      name: 'missing-pool',
      steps: [{ name: 'find', run: () => Promise.reject(new NotFound('Pool s2 not found')) }],
    };
    const { runner, store } = startInstance([kind]);

    const { operation } = await runner.submit(kind, { description: 'd', createdBy: 'u' }, {});
    const done = await store.waitForDone(operation.id, AbortSignal.timeout(10_000));

    expect(done.error).toEqual({ code: 'NOT_FOUND', message: 'Pool s2 not found' });
  });

  it('retries a step that fails with Unavailable', async () => {
    let attempts = 0;
    const kind: OperationKind<JsonObject> = {
      name: 'flaky',
      steps: [
        step('call', () => {
          if (++attempts === 1) throw new Unavailable('allocator unreachable');
          return { finish: packed(RESPONSE, 'second time lucky') };
        }),
      ],
    };
    const { runner, store } = startInstance([kind]);

    const { operation } = await runner.submit(kind, { description: 'd', createdBy: 'u' }, {});
    const done = await store.waitForDone(operation.id, AbortSignal.timeout(10_000));

    expect(text(done.response)).toBe('second time lucky');
    expect(attempts).toBe(2);
  });

  it('lets only the lease holder drive an operation while it is alive', async () => {
    const stepEntered = latch();
    const kind: OperationKind<JsonObject> = {
      name: 'leased',
      steps: [step('block', (ctx) => (stepEntered.open(), untilAborted(ctx)))],
    };
    const holder = startInstance([kind], 'instance-a');
    const peer = startInstance([kind], 'instance-b');
    const { operation } = await holder.runner.submit(
      kind,
      { description: 'd', createdBy: 'u' },
      {},
    );
    await stepEntered.promise;

    expect(await peer.runner.resumeUnfinished()).not.toContain(operation.id);

    await holder.runner.stop(); // releases the lease
    expect(await peer.runner.resumeUnfinished()).toContain(operation.id);
  });
});
