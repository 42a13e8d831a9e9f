import { randomUUID } from 'node:crypto';
import { NotFound } from '@lzy/errors';
import type { Clock, Operation, OperationError, PackedMessage } from '@lzy/operations';
import { ChangeSignal } from './change-signal.ts';

/**
 * The worker's long-running operations, kept in memory as LZY did (reference §1.7): a VM's
 * operations die with it, and the scheduler re-plans a task whose VM is gone. Same surface as
 * @lzy/operations' OperationStore (get, watch, first-writer-wins completion).
 */
export class OperationRegistry {
  readonly #clock: Clock;
  readonly #operations = new Map<string, Operation>();
  readonly #changed = new ChangeSignal();

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

  /** The current version, then each change, ending after the done one. @throws NotFound */
  async *watch(id: string, signal: AbortSignal): AsyncGenerator<Operation, void, undefined> {
    let last: Operation | undefined;
    for (;;) {
      const changed = this.#changed.wait(signal);
      changed.catch(() => undefined);
      const op = this.get(id);
      if (op !== last) yield op;
      if (op.done) return;
      last = op;
      await changed;
    }
  }

  /** Resolves once the operation is done. @throws NotFound */
  async watchDone(id: string): Promise<void> {
    for await (const op of this.watch(id, new AbortController().signal)) if (op.done) return;
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
    this.#changed.notify();
    return true;
  }
}
