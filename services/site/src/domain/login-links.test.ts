import { describe, expect, it } from 'vitest';
import { LoginLinks } from './login-links.ts';

describe('LoginLinks', () => {
  it('signs in once, within the TTL', () => {
    let now = 0;
    const links = new LoginLinks({ clock: { now: () => now }, ttlMs: 1_000 });
    const token = links.mint('alice');
    expect(links.consume(token)).toBe('alice');
    expect(links.consume(token)).toBeUndefined();
    const late = links.mint('alice');
    now = 1_000;
    expect(links.consume(late)).toBeUndefined();
    expect(links.consume('made-up')).toBeUndefined();
  });
});
