/**
 * The lazy result of an op call inside a workflow. It is a thenable: awaiting it runs every
 * pending call of the workflow (a barrier) and then reads the value from storage. Pass it to
 * another op to make that op depend on this call; nothing runs until a value is needed.
 */
export class LzyResult<T> implements PromiseLike<T> {
  readonly #resolve: () => Promise<T>;
  /** The call that produces the value; undefined for a call run locally (outside a workflow). */
  readonly call: CallRef | undefined;

  constructor(resolve: () => Promise<T>, call: CallRef | undefined) {
    this.#resolve = resolve;
    this.call = call;
  }

  then<R1 = T, R2 = never>(
    onFulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onRejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    return this.#resolve().then(onFulfilled, onRejected);
  }
}

/** What another call needs to know to depend on a call's result. */
export interface CallRef {
  readonly callId: string;
  readonly opName: string;
  /** Storage URI of the call's return value. */
  readonly returnUri: string;
  /** The workflow run that recorded the call (a result may not cross workflows). */
  readonly owner: object;
}
