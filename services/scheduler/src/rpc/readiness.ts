import { Unavailable } from '@lzy/errors';

/** Gate of the RPCs while the database is migrated and unfinished tasks are resumed. */
export class Readiness {
  #ready = false;

  markReady(): void {
    this.#ready = true;
  }

  /** @throws Unavailable (callers retry) until markReady(). */
  check(): void {
    if (!this.#ready) throw new Unavailable('the scheduler is starting (database not ready yet)');
  }
}
