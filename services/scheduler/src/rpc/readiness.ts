import { ReadinessGate } from '@lzy/grpc';

/**
 * Gate of the RPCs while the database is migrated and unfinished tasks are resumed: @lzy/grpc's
 * ReadinessGate (health NOT_SERVING, UNAVAILABLE until markReady) under the name SchedulerService
 * calls.
 */
export class Readiness extends ReadinessGate {
  /** @throws Unavailable (callers retry) until markReady(). */
  check(): void {
    this.assertReady();
  }
}
