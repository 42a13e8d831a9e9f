import { Counter } from 'prom-client';
import type { Registry } from 'prom-client';

const CALLS = 'lzy_grpc_client_calls_total';

/**
 * Outbound RPCs of one process part (a service), in its own registry next to the server's
 * per-RPC metrics: `lzy_grpc_client_calls_total{service,method,code}` where service/method are
 * the callee's. Every client made with the same registry shares one counter.
 */
export class ClientMetrics {
  readonly #calls: Counter<'service' | 'method' | 'code'>;

  constructor(registry: Registry) {
    const existing = registry.getSingleMetric(CALLS);
    this.#calls =
      existing instanceof Counter
        ? existing
        : new Counter({
            name: CALLS,
            help: 'Outbound RPCs completed, by callee service, method and gRPC status code name',
            labelNames: ['service', 'method', 'code'],
            registers: [registry],
          });
  }

  /** One finished call. */
  count(service: string, method: string, code: string): void {
    this.#calls.inc({ service, method, code });
  }
}
