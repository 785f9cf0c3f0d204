// The Prometheus registry of one process, and the metrics that are not any one feature's: the
// process's own (prom-client's default metrics: CPU, memory, event-loop lag, GC) and the database
// pool. Features register theirs on the same registry, handed to them by the composition root
// (the refresher: src/refresh/refresh-metrics.ts; HTTP requests: http-metrics.ts). To add one, take
// the `registry` as a parameter and register on it (`registers: [registry]`), never on prom-client's
// global registry, so tests can build several applications in one process. Label values must come
// from small fixed sets (a route pattern, an outcome): never a tenant, an id or a URL.
import type pg from 'pg';
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';

/** A registry with the process's default metrics: one per process (server.ts). */
export function createMetricsRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return registry;
}

/** Connections of the pool the service's queries use, read when /metrics is scraped. */
export function registerPoolMetrics(registry: Registry, pool: pg.Pool): void {
  new Gauge({
    name: 'db_pool_connections_in_use',
    help: 'Database connections checked out of the pool',
    registers: [registry],
    collect() {
      this.set(pool.totalCount - pool.idleCount);
    },
  });
  new Gauge({
    name: 'db_pool_connections_idle',
    help: 'Open database connections waiting in the pool',
    registers: [registry],
    collect() {
      this.set(pool.idleCount);
    },
  });
  new Gauge({
    name: 'db_pool_waiting_requests',
    help: 'Queries waiting for a pool connection (the pool is at DATABASE_POOL_MAX)',
    registers: [registry],
    collect() {
      this.set(pool.waitingCount);
    },
  });
}
