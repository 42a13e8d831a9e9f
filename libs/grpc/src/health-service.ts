import { NotFound } from '@lzy/errors';
import { health } from '@lzy/proto';
import { implement } from './handler-types.ts';
import type { ServiceRegistration } from './handler-types.ts';

type ServingStatus = health.HealthCheckResponse_ServingStatus;
const { SERVING, NOT_SERVING, SERVICE_UNKNOWN } = health.HealthCheckResponse_ServingStatus;

/** What a service may change about its health (e.g. NOT_SERVING while its database is down). */
export interface HealthControl {
  /** `service` is a full service name (`ai.lzy.v1.workflow.LzyWorkflowService`) or '' for the server. */
  setStatus(service: string, status: 'SERVING' | 'NOT_SERVING'): void;
}

/** Serving status per service name, with watchers for grpc.health.v1 Watch. */
export class HealthState implements HealthControl {
  readonly #statuses = new Map<string, ServingStatus>();
  readonly #watchers = new Set<(service: string) => void>();
  #closed = false;

  setStatus(service: string, status: 'SERVING' | 'NOT_SERVING'): void {
    if (this.#closed) return; // shutdown is final
    this.#set(service, status === 'SERVING' ? SERVING : NOT_SERVING);
  }

  /** The status of `service`, undefined if it was never registered. */
  statusOf(service: string): ServingStatus | undefined {
    return this.#statuses.get(service);
  }

  /** True while the server as a whole ('') is SERVING: what /healthz reports. */
  isServing(): boolean {
    return this.#statuses.get('') === SERVING;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Everything NOT_SERVING for good; Watch streams get that update and then end, so they do not hold up shutdown. */
  shutdown(): void {
    for (const service of this.#statuses.keys()) this.#set(service, NOT_SERVING);
    this.#closed = true;
    for (const wake of this.#watchers) wake('');
  }

  /** Calls `listener` with the service name on every change, and with '' at shutdown. */
  subscribe(listener: (service: string) => void): () => void {
    this.#watchers.add(listener);
    return () => this.#watchers.delete(listener);
  }

  #set(service: string, status: ServingStatus): void {
    if (this.#statuses.get(service) === status) return;
    this.#statuses.set(service, status);
    for (const wake of this.#watchers) wake(service);
  }
}

/** grpc.health.v1.Health over `state`; registered without auth (probes carry no token). */
export function healthService(state: HealthState): ServiceRegistration {
  return implement(
    health.HealthService,
    {
      check: (request) => {
        const status = state.statusOf(request.service);
        if (status === undefined)
          return Promise.reject(new NotFound(`unknown service '${request.service}'`));
        return Promise.resolve({ status });
      },
      watch: async (request, ctx, send) => {
        let changed = true;
        let wake: (() => void) | undefined;
        const unsubscribe = state.subscribe((service) => {
          if (service === request.service || service === '') {
            changed = true;
            wake?.();
          }
        });
        const onAbort = () => wake?.();
        ctx.signal.addEventListener('abort', onAbort);
        try {
          let last: ServingStatus | undefined;
          while (!ctx.signal.aborted) {
            const status = state.statusOf(request.service) ?? SERVICE_UNKNOWN;
            if (status !== last) await send({ status });
            last = status;
            if (state.closed) return;
            if (!changed) await new Promise<void>((resolve) => (wake = resolve));
            changed = false;
          }
        } finally {
          ctx.signal.removeEventListener('abort', onAbort);
          unsubscribe();
        }
      },
    },
    { auth: 'none' },
  );
}
