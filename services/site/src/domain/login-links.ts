import { createHash, randomBytes } from 'node:crypto';
import type { Clock } from '@lzy/grpc';

interface PendingLink {
  login: string;
  expiresAtMs: number;
}

const MAX_PENDING = 1_000;

/**
 * One-time login links for installations without GitHub sign-in (the local suite prints one at
 * start). A link holds a random token; only its SHA-256 is kept, in this process's memory, so a
 * link works once, until it expires, and only on the site that made it.
 */
export class LoginLinks {
  readonly #clock: Clock;
  readonly #ttlMs: number;
  readonly #pending = new Map<string, PendingLink>();

  constructor(deps: { clock: Clock; ttlMs: number }) {
    this.#clock = deps.clock;
    this.#ttlMs = deps.ttlMs;
  }

  /** A fresh token that signs in `login` once within the TTL. */
  mint(login: string, ttlMs: number = this.#ttlMs): string {
    this.#prune();
    const token = randomBytes(32).toString('base64url');
    this.#pending.set(hashOf(token), { login, expiresAtMs: this.#clock.now() + ttlMs });
    return token;
  }

  /** The login the token was made for, once; undefined if unknown, used or expired. */
  consume(token: string): string | undefined {
    const key = hashOf(token);
    const link = this.#pending.get(key);
    this.#pending.delete(key);
    if (link === undefined || link.expiresAtMs <= this.#clock.now()) return undefined;
    return link.login;
  }

  #prune(): void {
    const now = this.#clock.now();
    for (const [key, link] of this.#pending) {
      if (link.expiresAtMs <= now) this.#pending.delete(key);
    }
    // Bounded memory: the oldest links go first.
    while (this.#pending.size >= MAX_PENDING) {
      const oldest = this.#pending.keys().next().value;
      if (oldest === undefined) break;
      this.#pending.delete(oldest);
    }
  }
}

function hashOf(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
