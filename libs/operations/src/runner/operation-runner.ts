import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { Cancelled, FailedPrecondition } from '@lzy/errors';
import type { Logger } from '@lzy/logging';
import type { Clock, JsonObject, Operation } from '../operation.ts';
import { asOperationDb, toOperation } from '../operation-row.ts';
import type { OperationDatabase, OperationRow } from '../operation-row.ts';
import type { Kysely } from 'kysely';
import type {
  CreateResult,
  Idempotency,
  NewOperation,
  OperationStore,
} from '../operation-store.ts';
import type { OperationKind } from './operation-kind.ts';
import { retryDelayMs, runStep } from './run-step.ts';
import type { StepOutcome } from './run-step.ts';
import { RunnerStore } from './runner-store.ts';

export interface OperationRunnerDeps<DB extends OperationDatabase = OperationDatabase> {
  readonly db: Kysely<DB>;
  readonly store: OperationStore<DB>;
  readonly clock: Clock;
  readonly log: Logger;
  /** Lease owner name. Default: a random UUID per runner (leases are released on stop()). */
  readonly instanceId?: string;
  /** Lease length; renewed every third of it while a step runs. Default 60 000. */
  readonly leaseMs?: number;
  /** How often to look for operations whose owner died (expired lease). Default 30 000. */
  readonly sweepIntervalMs?: number;
  /** stop() waits this long for running steps to return. Default 10 000. */
  readonly stopTimeoutMs?: number;
  /** Unexpected errors of one step before the operation fails with INTERNAL. Default 5. */
  readonly maxUnexpectedErrors?: number;
}

/** One operation this runner is driving (running a step or waiting to run one again). */
interface Entry {
  readonly id: string;
  /** Aborted when the operation is seen finished by someone else (Cancel, a peer). */
  readonly finished: AbortController;
  /** Aborted when the runner lets go of the entry; ends the completion watcher. */
  readonly released: AbortController;
  running: Promise<void> | undefined;
  timer: NodeJS.Timeout | undefined;
  failures: number;
  unexpected: number;
}

/** What a drive ends with: run again after N ms, nothing more to do, or let go of the lease. */
type DriveEnd = number | 'done' | 'release';

/**
 * Durable step runner (reference §1.6): drives operations of registered kinds through their
 * steps, persisting step index and state in the `operation` row after every step, so that after
 * a restart `resumeUnfinished()` continues each unfinished operation at its first unfinished step.
 *
 * Two instances of a service never run the same operation at once: a runner leases the row while
 * driving it (released on stop(), expiring after `leaseMs` if the process dies, when the periodic
 * sweep of a peer takes it over). Deadlines are checked at every step boundary: a late operation
 * fails with DEADLINE_EXCEEDED and its kind's `onExpired` runs. A finished operation (Cancel)
 * aborts its running step's signal and is not driven further.
 */
export class OperationRunner<DB extends OperationDatabase = OperationDatabase> {
  readonly #deps: OperationRunnerDeps<DB>;
  readonly #runnerStore: RunnerStore;
  readonly #kinds = new Map<string, OperationKind<JsonObject>>();
  readonly #active = new Map<string, Entry>();
  readonly #stopping = new AbortController();
  #state: 'new' | 'started' | 'stopping' | 'stopped' = 'new';
  #sweep: NodeJS.Timeout | undefined;
  #stopped: Promise<void> | undefined;

  constructor(deps: OperationRunnerDeps<DB>) {
    this.#deps = deps;
    this.#runnerStore = new RunnerStore({
      db: asOperationDb(deps.db),
      clock: deps.clock,
      log: deps.log,
      owner: deps.instanceId ?? randomUUID(),
      leaseMs: deps.leaseMs ?? 60_000,
    });
  }

  /** Registers a kind; its name must be unique in this runner. Call before start(). */
  register<S extends JsonObject>(kind: OperationKind<S>): void {
    if (this.#kinds.has(kind.name)) throw new Error(`operation kind ${kind.name} registered twice`);
    // Sound as long as the stored state is the S the kind's operations were submitted with.
    this.#kinds.set(kind.name, kind);
  }

  /**
   * Starts the periodic sweep that takes over operations of dead peers. Call `resumeUnfinished()`
   * right after, at service start, to continue this service's operations without waiting for it.
   */
  start(): void {
    if (this.#state !== 'new') throw new Error('OperationRunner.start() called twice');
    this.#state = 'started';
    const sweepMs = this.#deps.sweepIntervalMs ?? 30_000;
    this.#sweep = setInterval(() => {
      this.resumeUnfinished().catch((err: unknown) =>
        this.#deps.log.warn({ err }, 'resuming unfinished operations failed'),
      );
    }, sweepMs).unref();
  }

  /**
   * Stops driving: aborts running steps' signals, waits up to `stopTimeoutMs` for them to return
   * (a step that returned normally still has its result persisted), then releases every lease so
   * another instance (or this service after restart) resumes at once. Idempotent.
   */
  stop(): Promise<void> {
    this.#stopped ??= this.#stop();
    return this.#stopped;
  }

  async #stop(): Promise<void> {
    this.#state = 'stopping';
    clearInterval(this.#sweep);
    this.#stopping.abort(
      new Cancelled('The service is stopping; the operation resumes after restart'),
    );
    const running = [...this.#active.values()].flatMap((e) => (e.running ? [e.running] : []));
    const timeout = new AbortController();
    await Promise.race([
      Promise.allSettled(running),
      delay(this.#deps.stopTimeoutMs ?? 10_000, undefined, { signal: timeout.signal }).catch(
        () => undefined,
      ),
    ]);
    timeout.abort();
    this.#state = 'stopped';
    await Promise.allSettled([...this.#active.values()].map((e) => this.#forget(e, 'release')));
  }

  /**
   * Creates an operation of `kind` with initial `state` and starts driving it. With `idempotency`,
   * a repeated request returns the stored operation (`created: false`) and runs nothing new.
   * Before start() or once stopping, the operation is only stored: a later resumeUnfinished()
   * (this service after its restart) drives it.
   */
  async submit<S extends JsonObject>(
    kind: OperationKind<S> | string,
    op: Omit<NewOperation, 'kind' | 'state'>,
    state: S,
    idempotency?: Idempotency,
  ): Promise<CreateResult> {
    const name = typeof kind === 'string' ? kind : kind.name;
    if (!this.#kinds.has(name)) throw new Error(`operation kind ${name} is not registered`);
    const result = await this.#deps.store.create({ ...op, kind: name, state }, idempotency);
    // Also for a replay: if its first submitter died before driving it, the lease decides.
    if (!result.operation.done) this.#schedule(result.operation.id);
    return result;
  }

  /**
   * Starts driving every unfinished operation of a registered kind that no live runner holds.
   * Returns their ids. Call once after start(); the sweep also runs it every `sweepIntervalMs`.
   * @throws FailedPrecondition before start().
   */
  async resumeUnfinished(): Promise<string[]> {
    if (this.#state === 'new') throw new FailedPrecondition('OperationRunner is not started');
    if (this.#state !== 'started') return [];
    const ids = await this.#runnerStore.listClaimable([...this.#kinds.keys()], 1000);
    const fresh = ids.filter((id) => !this.#active.has(id));
    for (const id of fresh) this.#schedule(id);
    return fresh;
  }

  #schedule(id: string): void {
    if (this.#state !== 'started' || this.#active.has(id)) return;
    const entry: Entry = {
      id,
      finished: new AbortController(),
      released: new AbortController(),
      running: undefined,
      timer: undefined,
      failures: 0,
      unexpected: 0,
    };
    this.#active.set(id, entry);
    this.#deps.store.waitForDone(id, entry.released.signal).then(
      () => entry.finished.abort(new Cancelled(`Operation ${id} was finished elsewhere`)),
      () => undefined, // released, or the row vanished: the next claim sees it
    );
    this.#run(entry);
  }

  #run(entry: Entry): void {
    entry.timer = undefined;
    const drive = this.#drive(entry).catch((err: unknown): DriveEnd => {
      this.#deps.log.warn({ err, operationId: entry.id }, 'driving operation failed; retrying');
      return retryDelayMs(entry.failures++);
    });
    entry.running = drive.then(async (end) => {
      entry.running = undefined;
      if (typeof end === 'number' && this.#state === 'started') {
        entry.timer = setTimeout(() => this.#run(entry), end).unref();
      } else if (this.#state === 'started') {
        await this.#forget(entry, end === 'done' ? 'done' : 'release');
      }
      // When stopping, stop() forgets the entry and releases its lease.
    });
  }

  async #forget(entry: Entry, end: 'done' | 'release'): Promise<void> {
    clearTimeout(entry.timer);
    entry.released.abort();
    this.#active.delete(entry.id);
    if (end === 'release') {
      await this.#runnerStore.release(entry.id).catch((err: unknown) => {
        this.#deps.log.warn({ err, operationId: entry.id }, 'releasing operation lease failed');
      });
    }
  }

  async #drive(entry: Entry): Promise<DriveEnd> {
    for (;;) {
      if (this.#state !== 'started') return 'release';
      const row = await this.#runnerStore.claim(entry.id);
      if (row === undefined) return 'done'; // finished, gone, or a live peer holds it
      if (this.#state !== 'started') return 'release'; // stop() began while claiming
      const kind = this.#kinds.get(row.kind ?? '');
      if (kind === undefined) return 'release'; // a newer release of the service may know it
      const op = toOperation(row);
      if (op.deadline !== undefined && op.deadline.getTime() <= this.#deps.clock.now()) {
        await this.#expire(op, kind, row.step_state);
        return 'done';
      }
      const end = await this.#step(entry, kind, row);
      if (end !== 'continue') return end;
    }
  }

  /** Runs the row's current step and acts on the outcome. */
  async #step(
    entry: Entry,
    kind: OperationKind<JsonObject>,
    row: OperationRow,
  ): Promise<DriveEnd | 'continue'> {
    const step = kind.steps[row.step_index];
    const op = toOperation(row);
    if (step === undefined) {
      await this.#deps.store.fail(op.id, {
        code: 'INTERNAL',
        message: `internal error: operation ${op.id} ran out of steps without a result`,
      });
      return 'done';
    }
    const log = this.#deps.log.child({ operationId: op.id, kind: kind.name, step: step.name });
    const state = row.step_state;
    const outcome = await this.#runnerStore.hold(op.id, (leaseLost) => {
      const signal = AbortSignal.any([this.#stopping.signal, entry.finished.signal, leaseLost]);
      return runStep(step, { operation: op, state, signal, log }, log);
    });
    if (this.#state === 'stopped') return 'release'; // stop() gave up waiting: write nothing
    return this.#apply(entry, op, row.step_index, state, outcome);
  }

  async #apply(
    entry: Entry,
    op: Operation,
    stepIndex: number,
    state: JsonObject,
    outcome: StepOutcome,
  ): Promise<DriveEnd | 'continue'> {
    const store = this.#deps.store;
    switch (outcome.type) {
      case 'interrupted':
        return entry.finished.signal.aborted ? 'done' : 'release';
      case 'fail':
        await store.fail(op.id, outcome.error);
        return 'done';
      case 'retry':
        return this.#retryLater(op, retryDelayMs(entry.failures++));
      case 'unexpected':
        if (++entry.unexpected >= (this.#deps.maxUnexpectedErrors ?? 5)) {
          await store.fail(op.id, {
            code: 'INTERNAL',
            message: `internal error in operation ${op.id}`,
          });
          return 'done';
        }
        return this.#retryLater(op, retryDelayMs(entry.failures++));
      case 'result':
        break;
    }
    const result = outcome.result;
    entry.failures = 0;
    entry.unexpected = 0;
    if (result === 'continue' || 'restartAfterMs' in result) {
      const waitMs = result === 'continue' ? 0 : this.#untilDeadline(op, result.restartAfterMs);
      const next = result === 'continue' ? stepIndex + 1 : stepIndex;
      const saved = await this.#runnerStore.saveProgress(op.id, next, state, waitMs);
      if (!saved) return 'done';
      return result === 'continue' ? 'continue' : waitMs;
    }
    if ('finish' in result) await store.complete(op.id, result.finish);
    else await store.fail(op.id, result.fail);
    return 'done';
  }

  async #retryLater(op: Operation, delayMs: number): Promise<DriveEnd> {
    const waitMs = this.#untilDeadline(op, delayMs);
    const held = await this.#runnerStore.renew(op.id, waitMs);
    return held ? waitMs : 'done';
  }

  /** `delayMs`, shortened so the deadline check runs on time. */
  #untilDeadline(op: Operation, delayMs: number): number {
    if (op.deadline === undefined) return delayMs;
    return Math.max(0, Math.min(delayMs, op.deadline.getTime() - this.#deps.clock.now()));
  }

  async #expire(op: Operation, kind: OperationKind<JsonObject>, state: JsonObject): Promise<void> {
    const { completed } = await this.#deps.store.fail(op.id, {
      code: 'DEADLINE_EXCEEDED',
      message: `Operation ${op.id} did not finish before its deadline ${op.deadline?.toISOString()}`,
    });
    if (!completed || kind.onExpired === undefined) return;
    await kind
      .onExpired(op, state)
      .catch((err: unknown) =>
        this.#deps.log.warn({ err, operationId: op.id }, 'onExpired failed'),
      );
  }
}
