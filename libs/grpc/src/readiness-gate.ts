import { Unavailable } from '@lzy/errors';
import { serviceNameOf } from './adapt-service.ts';
import type { ServiceRegistration } from './handler-types.ts';
import type { HealthControl } from './health-service.ts';

export interface ReadinessGateOptions {
  /** Reported NOT_SERVING until ready: registrations, or full service names. */
  readonly services: ReadonlyArray<ServiceRegistration | string>;
  /**
   * Message of the Unavailable thrown by assertReady() before ready: what is starting, and that
   * callers retry. Default: 'The service is starting (database not ready yet); retry'.
   */
  readonly unavailableMessage?: string;
}

/**
 * "Not ready yet" of a service whose database is prepared in the background (@lzy/db
 * `startDatabaseInBackground`, whose `onReady` is `markReady`): until then its own gRPC services
 * are NOT_SERVING on health (the server as a whole, '', stays SERVING) and its calls fail with
 * UNAVAILABLE, which callers retry (handlers call `assertReady()` first). May be created before
 * the server: `attach(server.health)` then reports the current state.
 */
export class ReadinessGate {
  readonly #names: readonly string[];
  readonly #message: string;
  #health: HealthControl | undefined;
  #ready = false;

  constructor(options: ReadinessGateOptions) {
    this.#names = options.services.map((s) =>
      typeof s === 'string' ? s : (serviceNameOf(s) ?? ''),
    );
    this.#message =
      options.unavailableMessage ?? 'The service is starting (database not ready yet); retry';
  }

  /** Reports the gated services on `health` from now on, starting with the current state. */
  attach(health: HealthControl): void {
    this.#health = health;
    this.#report();
  }

  /** Opens the gate (SERVING, calls pass). Idempotent. */
  markReady(): void {
    this.#ready = true;
    this.#report();
  }

  isReady(): boolean {
    return this.#ready;
  }

  /** @throws Unavailable until markReady() */
  assertReady(): void {
    if (!this.#ready) throw new Unavailable(this.#message);
  }

  /**
   * The registration with every handler answering UNAVAILABLE until ready (so a call that comes
   * while the database is migrated or work resumed is retried, never run half-prepared).
   */
  guard(registration: ServiceRegistration): ServiceRegistration {
    const handlers = Object.fromEntries(
      Object.entries(registration.handlers).map(([method, handler]) => [
        method,
        handler === 'unimplemented'
          ? handler
          : (...args: never[]) => {
              this.assertReady();
              return (handler as (...a: never[]) => Promise<unknown>)(...args);
            },
      ]),
    ) as ServiceRegistration['handlers'];
    return { ...registration, handlers };
  }

  #report(): void {
    const status = this.#ready ? 'SERVING' : 'NOT_SERVING';
    for (const name of this.#names) this.#health?.setStatus(name, status);
  }
}
