import { Counter } from 'prom-client';
import type { Registry } from 'prom-client';

const STATEMENTS = 'lzy_db_statements_total';

/**
 * `lzy_db_statements_total{service}`: statements sent to PostgreSQL, next to the service's
 * per-RPC metrics (bench divides it by the ops run to show statements per op). Databases that
 * share a registry share the counter.
 */
export class StatementCounter {
  readonly #counter: Counter.Internal;

  constructor(registry: Registry, service: string) {
    const existing = registry.getSingleMetric(STATEMENTS);
    const counter =
      existing instanceof Counter
        ? existing
        : new Counter({
            name: STATEMENTS,
            help: 'SQL statements sent to PostgreSQL (BEGIN and COMMIT included), by service',
            labelNames: ['service'],
            registers: [registry],
          });
    this.#counter = counter.labels({ service });
  }

  inc(): void {
    this.#counter.inc();
  }
}
