import { describe, expect, it } from 'vitest';
import { exitCodeOfSignal } from './signal-exit-code.ts';

describe('exitCodeOfSignal', () => {
  it('is 128 plus the signal number, as shells report it', () => {
    expect(exitCodeOfSignal('SIGINT')).toBe(130);
    expect(exitCodeOfSignal('SIGTERM')).toBe(143);
  });

  it('is 1 for anything else', () => {
    expect(exitCodeOfSignal(undefined)).toBe(1);
    expect(exitCodeOfSignal('SIGNOPE')).toBe(1);
  });
});
