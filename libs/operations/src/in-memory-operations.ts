import { randomUUID } from 'node:crypto';
import { NotFound } from '@lzy/errors';
import type { Clock, Operation, OperationError, PackedMessage } from './operation.ts';
import { OperationWaiters } from './operation-waiters.ts';
import { waitForDone, watchOperation } from './operation-watch.ts';

/**
 * Long-running operations kept in process memory, for the processes that have no database: a
 * VM's worker and portal (reference §1.7 LocalOperationService). A dead VM loses its operations
 * (callers see UNAVAILABLE, then NOT_FOUND) and the owner re-plans. Same reading surface as
 * OperationStore (get, watch, waitForDone; first writer wins at completion), synchronous.
 */
export class InMemoryOperations {
  readonly #clock: Clock;
  readonly #operations = new Map<string, Operation>();
  readonly #waiters = new OperationWaiters();

  constructor(deps: { clock: Clock }) {
    this.#clock = deps.clock;
  }

  create(input: { description: string; createdBy: string }): Operation {
    const now = new Date(this.#clock.now());
    const op: Operation = {
      id: randomUUID(),
      description: input.description,
      createdBy: input.createdBy,
      createdAt: now,
      modifiedAt: now,
      deadline: undefined,
      done: false,
      meta: undefined,
      response: undefined,
      error: undefined,
    };
    this.#operations.set(op.id, op);
    return op;
  }

  /**
   * Creates an operation and runs `run` in the background: the operation completes with its
   * response, or fails with `errorOf(err)`.
   */
  start(
    description: string,
    createdBy: string,
    run: () => Promise<PackedMessage>,
    errorOf: (err: unknown) => OperationError,
  ): Operation {
    const op = this.create({ description, createdBy });
    run().then(
      (response) => this.complete(op.id, response),
      (err: unknown) => this.fail(op.id, errorOf(err)),
    );
    return op;
  }

  /** @throws NotFound */
  get(id: string): Operation {
    const op = this.#operations.get(id);
    if (op === undefined) throw new NotFound(`Operation ${id} not found`);
    return op;
  }

  /** First writer wins: returns false (and changes nothing) if the operation is already done. */
  complete(id: string, response: PackedMessage): boolean {
    return this.#finish(id, { response });
  }

  /** First writer wins, like complete(). */
  fail(id: string, error: OperationError): boolean {
    return this.#finish(id, { error });
  }

  /**
   * The current version, then each change, ending after the done one.
   * @throws NotFound; the signal's reason when it aborts first.
   */
  watch(id: string, signal?: AbortSignal): AsyncGenerator<Operation, void, undefined> {
    return watchOperation(this.#waiters, (i) => Promise.resolve(this.get(i)), id, signal);
  }

  /** The done version. @throws NotFound; the signal's reason when it aborts first. */
  waitForDone(id: string, signal?: AbortSignal): Promise<Operation> {
    return waitForDone(this.#waiters, (i) => Promise.resolve(this.get(i)), id, signal);
  }

  #finish(id: string, result: { response?: PackedMessage; error?: OperationError }): boolean {
    const op = this.get(id);
    if (op.done) return false;
    this.#operations.set(id, {
      ...op,
      done: true,
      modifiedAt: new Date(this.#clock.now()),
      response: result.response,
      error: result.error,
    });
    this.#waiters.wake(id);
    return true;
  }
}
