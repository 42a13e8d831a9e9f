import { Counter, Gauge, Histogram } from 'prom-client';
import type { Registry } from 'prom-client';

/** Per-RPC metrics of one server, in that server's own registry (no prom-client global state). */
export class ServerMetrics {
  readonly #handled: Counter<'service' | 'method' | 'code'>;
  readonly #seconds: Histogram<'service' | 'method'>;
  readonly #inFlight: Gauge<'service' | 'method'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.#handled = new Counter({
      name: 'lzy_grpc_server_handled_total',
      help: 'RPCs completed, by gRPC status code name',
      labelNames: ['service', 'method', 'code'],
      registers,
    });
    this.#seconds = new Histogram({
      name: 'lzy_grpc_server_handling_seconds',
      help: 'Time from call start to status, seconds',
      labelNames: ['service', 'method'],
      // StartWorkflow/ExecuteGraph block for minutes (public-api.md §5), hence the long tail.
      buckets: [0.001, 0.005, 0.025, 0.1, 0.25, 1, 2.5, 10, 30, 120, 600],
      registers,
    });
    this.#inFlight = new Gauge({
      name: 'lzy_grpc_server_in_flight',
      help: 'RPCs currently running',
      labelNames: ['service', 'method'],
      registers,
    });
  }

  /** Records a call start; the returned function records its end with the final status name. */
  start(service: string, method: string): (code: string) => void {
    const stopTimer = this.#seconds.startTimer({ service, method });
    this.#inFlight.inc({ service, method });
    return (code) => {
      stopTimer();
      this.#inFlight.dec({ service, method });
      this.#handled.inc({ service, method, code });
    };
  }
}
