import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Logger } from '@lzy/logging';
import type { Clock, OperationRunner, OperationStore } from '@lzy/operations';
import type { ExecutionStore } from '../db/execution-store.ts';
import type { LzyServiceDb } from '../db/schema.ts';
import type { ExecutionActivity } from './execution-activity.ts';
import { ABORT_EXECUTION_KIND } from './execution-teardown.ts';
import type { TeardownState } from './execution-teardown.ts';

export interface ExecutionReaperDeps {
  executions: ExecutionStore;
  activity: ExecutionActivity;
  operations: OperationStore<LzyServiceDb>;
  runner: OperationRunner<LzyServiceDb>;
  clock: Clock;
  log: Logger;
  /** An execution with no call from its client for this long is aborted (ms). */
  idleTimeoutMs: number;
  /** Time between two passes (ms). */
  intervalMs: number;
  /** Executions abandoned per transaction (a pass repeats while a batch is full). */
  batchSize?: number;
}

/** "1 h", "5 min", "30 s", "300 ms": the idle timeout as the abort reason names it. */
export function formatDuration(ms: number): string {
  const units: [number, string][] = [
    [3_600_000, 'h'],
    [60_000, 'min'],
    [1_000, 's'],
  ];
  for (const [size, unit] of units) {
    if (ms >= size && ms % size === 0) return `${ms / size} ${unit}`;
  }
  return ms >= 1_000 ? `${(ms / 1_000).toFixed(1)} s` : `${ms} ms`;
}

/** The reason an abandoned execution ends with (its status, the monitor, GraphStatus's NOT_FOUND). */
export function abandonedReason(idleTimeoutMs: number): string {
  return `execution abandoned: no call from its client for ${formatDuration(idleTimeoutMs)}`;
}

/**
 * Aborts executions whose client went away (issue 12): one pass per interval marks every RUN
 * execution idle for `idleTimeoutMs` ERROR and creates its durable abort teardown in the same
 * transaction (portal stopped, channels destroyed, portal VM and session freed). Rows are claimed
 * with `FOR UPDATE SKIP LOCKED`, so replicas never reap one execution twice.
 */
export class ExecutionReaper {
  readonly #deps: ExecutionReaperDeps;
  #timer: NodeJS.Timeout | undefined;
  #pass: Promise<unknown> = Promise.resolve();

  constructor(deps: ExecutionReaperDeps) {
    this.#deps = deps;
  }

  start(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(() => {
      this.#pass = this.reapOnce().catch((err: unknown) =>
        this.#deps.log.warn({ err }, 'execution reaper pass failed'),
      );
    }, this.#deps.intervalMs).unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#pass;
  }

  /** One pass; returns the ids of the executions it abandoned. */
  async reapOnce(): Promise<string[]> {
    const { executions, activity, clock, idleTimeoutMs } = this.#deps;
    const nowMs = clock.now();
    const now = new Date(nowMs);
    // Streams open here count as calls, also for the other replicas' reapers.
    const streaming = activity.streaming();
    await executions.touch(streaming, now);
    activity.prune(nowMs - idleTimeoutMs);
    const reason = abandonedReason(idleTimeoutMs);
    const batchSize = this.#deps.batchSize ?? 100;
    const reaped: string[] = [];
    for (;;) {
      const batch = await executions.abandonIdle(
        {
          idleSince: new Date(nowMs - idleTimeoutMs),
          now,
          reason,
          exclude: streaming,
          limit: batchSize,
        },
        (trx, execution) => this.#createTeardown(trx, execution, reason),
      );
      reaped.push(...batch.map((e) => e.executionId));
      if (batch.length < batchSize) break;
    }
    if (reaped.length > 0) {
      this.#deps.log.info({ executionIds: reaped, reason }, 'aborting abandoned executions');
      await this.#deps.runner.resumeUnfinished();
    }
    return reaped;
  }

  async #createTeardown(
    trx: Kysely<LzyServiceDb>,
    execution: { executionId: string; userId: string },
    reason: string,
  ): Promise<void> {
    const state: TeardownState = {
      executionId: execution.executionId,
      reason,
      portalUnreachableSinceMs: 0,
    };
    // The runner's submit cannot join a transaction; the row it would write is written here
    // and the runner picks it up (resumeUnfinished after the pass, or its sweep).
    await this.#deps.operations.create(
      {
        id: randomUUID(),
        kind: ABORT_EXECUTION_KIND,
        state,
        description: `Abort execution: executionId=${execution.executionId} (abandoned)`,
        createdBy: execution.userId,
      },
      undefined,
      trx,
    );
  }
}
