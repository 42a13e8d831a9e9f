import { isDomainError } from '@lzy/errors';
import type { Logger } from '@lzy/logging';
import type { JsonObject, OperationError } from '../operation.ts';
import type { OperationStep, StepContext, StepResult } from './operation-kind.ts';

/** What came of one attempt at a step, as the runner acts on it. */
export type StepOutcome =
  | { readonly type: 'result'; readonly result: StepResult }
  /** Transient failure: run the same step again later without persisting its state. */
  | { readonly type: 'retry' }
  /** Unexpected error (a bug or an unmapped failure): retried a bounded number of times. */
  | { readonly type: 'unexpected' }
  | { readonly type: 'fail'; readonly error: OperationError }
  /** The step gave up because its signal was aborted (stop, lost lease, finished elsewhere). */
  | { readonly type: 'interrupted' };

const RETRYABLE_CODES = new Set(['UNAVAILABLE', 'ABORTED']);

/** Runs one step and classifies its result or error (rules: OperationStep doc). */
export async function runStep<S extends JsonObject>(
  step: OperationStep<S>,
  ctx: StepContext<S>,
  log: Logger,
): Promise<StepOutcome> {
  try {
    return { type: 'result', result: await step.run(ctx) };
  } catch (err) {
    if (ctx.signal.aborted) return { type: 'interrupted' };
    if (isDomainError(err) && RETRYABLE_CODES.has(err.code)) {
      log.warn({ err }, 'operation step failed transiently; retrying');
      return { type: 'retry' };
    }
    if (isDomainError(err))
      return { type: 'fail', error: { code: err.code, message: err.message } };
    log.error({ err }, 'operation step failed unexpectedly');
    return { type: 'unexpected' };
  }
}

const BASE_RETRY_MS = 500;
const MAX_RETRY_MS = 30_000;

/** Backoff before the n-th (0-based) retry of a failing step: 0.5 s doubling up to 30 s, jittered. */
export function retryDelayMs(failures: number): number {
  const capped = Math.min(MAX_RETRY_MS, BASE_RETRY_MS * 2 ** failures);
  return capped / 2 + (Math.random() * capped) / 2;
}
