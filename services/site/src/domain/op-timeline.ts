import type { OpState, OpStatus } from './ports.ts';

const TERMINAL: readonly OpState[] = ['SUCCEEDED', 'FAILED', 'STOPPED'];

export function isTerminal(state: OpState): boolean {
  return TERMINAL.includes(state);
}

/**
 * The op's status after `next`, keeping the times seen so far. A source that knows when an op
 * queued, started or ended says so; otherwise the time of the first status seen in that phase
 * stands in (its `updatedAt`), so an op watched from the start gets its whole timeline and one
 * first seen later gets what is left of it.
 */
export function mergeOpStatus(previous: OpStatus | undefined, next: OpStatus): OpStatus {
  const at = next.updatedAt;
  const queuedAt =
    previous?.queuedAt ??
    next.queuedAt ??
    (next.state === 'QUEUED' || next.state === 'ALLOCATING' ? at : undefined);
  const startedAt =
    previous?.startedAt ?? next.startedAt ?? (next.state === 'EXECUTING' ? at : undefined);
  const finishedAt =
    next.finishedAt ?? (isTerminal(next.state) ? (previous?.finishedAt ?? at) : undefined);
  return { ...next, queuedAt, startedAt, finishedAt };
}
