import type { SessionStore } from '../db/session-store.ts';
import type { AllocatorPort } from './ports.ts';

/**
 * The allocator session of each (user, workflow name), created once (reference-lzy-internals
 * §4.6: VM reuse happens through the session's idle cache). Concurrent first tasks share one
 * CreateSession call; across restarts the session comes from the database, and CreateSession is
 * idempotent by owner anyway.
 */
export class AllocatorSessions {
  readonly #store: SessionStore;
  readonly #allocator: AllocatorPort;
  readonly #idleTimeoutMs: number;
  readonly #pending = new Map<string, Promise<string>>();

  constructor(deps: { store: SessionStore; allocator: AllocatorPort; idleTimeoutMs: number }) {
    this.#store = deps.store;
    this.#allocator = deps.allocator;
    this.#idleTimeoutMs = deps.idleTimeoutMs;
  }

  /** The owner's session id, creating the session on first use. */
  sessionOf(owner: string, signal: AbortSignal): Promise<string> {
    let pending = this.#pending.get(owner);
    if (pending === undefined) {
      pending = this.#resolve(owner, signal).finally(() => this.#pending.delete(owner));
      this.#pending.set(owner, pending);
    }
    return pending;
  }

  async #resolve(owner: string, signal: AbortSignal): Promise<string> {
    const known = await this.#store.find(owner);
    if (known !== undefined) return known;
    const created = await this.#allocator.createSession(owner, this.#idleTimeoutMs, signal);
    return this.#store.save(owner, created);
  }
}
