import { randomUUID } from 'node:crypto';
import { NotFound } from '@lzy/errors';
import type { Operation, OperationError, PackedMessage } from '@lzy/operations';
import { ChangeNotifier } from './change-notifier.ts';

/**
 * In-memory long-running operations (reference §1.7 LocalOperationService: the portal keeps no
 * database; a dead portal loses its operations and callers see UNAVAILABLE/NOT_FOUND).
 */
export class LocalOperations {
  readonly #ops = new Map<string, Operation>();
  readonly #changes = new ChangeNotifier();

  /** Starts `run`; the operation completes with its response, or fails with its error. */
  start(
    description: string,
    createdBy: string,
    run: () => Promise<PackedMessage>,
    errorOf: (err: unknown) => OperationError,
  ): Operation {
    const now = new Date();
    const op: Operation = {
      id: randomUUID(),
      description,
      createdBy,
      createdAt: now,
      modifiedAt: now,
      deadline: undefined,
      done: false,
      meta: undefined,
      response: undefined,
      error: undefined,
    };
    this.#ops.set(op.id, op);
    run().then(
      (response) => this.#complete(op.id, { response }),
      (err: unknown) => this.#complete(op.id, { error: errorOf(err) }),
    );
    return op;
  }

  /** @throws NotFound for an unknown id. */
  get(id: string): Operation {
    const op = this.#ops.get(id);
    if (op === undefined) throw new NotFound(`operation ${id} not found`);
    return op;
  }

  /** The current state, then every change; returns after the done one. */
  async *watch(id: string, signal: AbortSignal): AsyncGenerator<Operation> {
    let last: Operation | undefined;
    for (;;) {
      const op = this.get(id);
      const next = op.done ? undefined : this.#changes.wait(signal);
      next?.catch(() => undefined);
      if (op !== last) yield op;
      last = op;
      if (next === undefined) return;
      await next;
    }
  }

  #complete(id: string, result: { response?: PackedMessage; error?: OperationError }): void {
    const op = this.get(id);
    this.#ops.set(id, {
      ...op,
      done: true,
      modifiedAt: new Date(),
      response: result.response,
      error: result.error,
    });
    this.#changes.notify();
  }
}
