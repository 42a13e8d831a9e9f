import { constants } from 'node:os';

/**
 * The shell's exit code for a process ended by `signal` (128 + its number: SIGINT → 130,
 * SIGTERM → 143); 1 for anything that is not a known signal name.
 */
export function exitCodeOfSignal(signal: unknown): number {
  const signals: Readonly<Record<string, number | undefined>> = constants.signals;
  const number = typeof signal === 'string' ? signals[signal] : undefined;
  return number === undefined ? 1 : 128 + number;
}
