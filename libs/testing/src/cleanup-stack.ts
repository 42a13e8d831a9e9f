/** Anything with a `stop()`: a started server, cluster, or a handle from `defer`. */
export interface Stoppable {
  stop(): Promise<void> | void;
}

/**
 * Stops started resources in reverse order, even when a later start failed halfway:
 *
 * ```ts
 * const stack = new CleanupStack();
 * try {
 *   const pg = stack.push(await startPostgres());
 *   const s3 = stack.push(await startS3());
 * } finally {
 *   await stack.close();
 * }
 * ```
 *
 * `close()` runs every cleanup even if some throw, then rethrows (one error as is, several as an
 * AggregateError). It is idempotent: a second call does nothing. Also usable with `await using`.
 */
export class CleanupStack {
  private readonly cleanups: Array<() => Promise<void> | void> = [];

  /** Registers `resource.stop()` and returns the resource unchanged. */
  push<T extends Stoppable>(resource: T): T {
    this.cleanups.push(() => resource.stop());
    return resource;
  }

  /** Registers an arbitrary cleanup (remove a temp dir, close a client). */
  defer(cleanup: () => Promise<void> | void): void {
    this.cleanups.push(cleanup);
  }

  async close(): Promise<void> {
    const errors: unknown[] = [];
    for (let cleanup = this.cleanups.pop(); cleanup; cleanup = this.cleanups.pop()) {
      try {
        await cleanup();
      } catch (err) {
        errors.push(err);
      }
    }
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) throw new AggregateError(errors, `${errors.length} cleanups failed`);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
