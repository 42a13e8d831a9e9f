import { AsyncLocalStorage } from 'node:async_hooks';
import type { LzyResult } from './lzy-result.ts';
import type { OpMeta } from './op.ts';

/** What an op call needs from the workflow it runs in. */
export interface CallRecorder {
  record<T>(meta: OpMeta, args: readonly unknown[]): LzyResult<T>;
}

const active = new AsyncLocalStorage<CallRecorder>();

/** The workflow whose callback is running in this async context, if any. */
export function currentWorkflow(): CallRecorder | undefined {
  return active.getStore();
}

export function runInWorkflow<T>(recorder: CallRecorder, fn: () => Promise<T>): Promise<T> {
  return active.run(recorder, fn);
}

/** Set by the op runner: an op's module is being imported on a worker (globalThis: one flag per process). */
const INSIDE_OP = Symbol.for('lzy.sdk.inside-op');

export function markInsideOp(): void {
  (globalThis as Record<symbol, unknown>)[INSIDE_OP] = true;
}

export function isInsideOp(): boolean {
  return (globalThis as Record<symbol, unknown>)[INSIDE_OP] === true;
}
