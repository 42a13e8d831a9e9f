import type { Operation } from './operation.ts';
import type { OperationWaiters } from './operation-waiters.ts';

/** Reads the current row (OperationStore.get). */
type ReadOperation = (id: string) => Promise<Operation>;

/** OperationStore.waitForDone: re-read on every wake-up until done. */
export async function waitForDone(
  waiters: OperationWaiters,
  read: ReadOperation,
  id: string,
  signal?: AbortSignal,
): Promise<Operation> {
  for (;;) {
    // Subscribe before reading, so a completion between the read and the wait is not lost.
    const wakeup = waiters.subscribe(id, signal);
    try {
      const op = await read(id);
      if (op.done) return op;
    } catch (err) {
      wakeup.cancel();
      throw err;
    }
    await wakeup.promise; // settling (wake-up or abort) unregisters it
  }
}

/** OperationStore.watch: yield each changed version, end after the done one. */
export async function* watchOperation(
  waiters: OperationWaiters,
  read: ReadOperation,
  id: string,
  signal?: AbortSignal,
): AsyncGenerator<Operation, void, undefined> {
  let lastVersion: string | undefined;
  for (;;) {
    const wakeup = waiters.subscribe(id, signal);
    try {
      const op = await read(id);
      const version = versionOf(op);
      if (version !== lastVersion) {
        lastVersion = version;
        yield op;
      }
      if (op.done) return;
      await wakeup.promise;
    } finally {
      wakeup.cancel(); // a no-op once settled; needed when the consumer stops early
    }
  }
}

/** What watch compares to decide whether a re-read operation changed. */
function versionOf(op: Operation): string {
  const meta =
    op.meta === undefined
      ? ''
      : `${op.meta.typeName}:${Buffer.from(op.meta.value).toString('base64')}`;
  return `${op.modifiedAt.getTime()}|${op.done}|${meta}`;
}
