// Prometheus metrics of the refresher. Registered on a Registry passed in, never on
// prom-client's global one, so tests can build several apps in one process. No label ever holds
// a tenant, secret id or URL: cardinality stays fixed and nothing identifying leaks.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export type RefreshTrigger = 'request' | 'worker';

export interface RefreshMetrics {
  attempts: Counter<'trigger'>;
  outcomes: Counter<'trigger' | 'outcome'>;
  providerLatency: Histogram<'outcome'>;
  due: Gauge;
}

/** `countDue` is called on every scrape (bounded by the caller); errors leave the gauge unchanged. */
export function createRefreshMetrics(registry: Registry, countDue?: () => Promise<number>): RefreshMetrics {
  return {
    attempts: new Counter({
      name: 'auth_secret_refresh_attempts_total',
      help: 'Refreshes asked for, by trigger (request: POST …/refresh, worker: ahead of expiry).',
      labelNames: ['trigger'],
      registers: [registry],
    }),
    outcomes: new Counter({
      name: 'auth_secret_refresh_outcomes_total',
      help: 'How refreshes ended: refreshed, already_renewed, superseded, rejected, timeout, unreachable, provider_error, invalid_response, blocked, coordination_error.',
      labelNames: ['trigger', 'outcome'],
      registers: [registry],
    }),
    providerLatency: new Histogram({
      name: 'oauth_provider_request_duration_seconds',
      help: 'Duration of token requests to OAuth2 providers (DNS, connect and response), by outcome.',
      labelNames: ['outcome'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
    due: new Gauge({
      name: 'auth_secrets_refresh_due',
      help: 'OAuth2 secrets in state ready whose token expires within REFRESH_AHEAD_SECONDS.',
      registers: [registry],
      async collect() {
        if (!countDue) return;
        try {
          this.set(await countDue());
        } catch {
          // A scrape must not fail because the database is briefly unavailable.
        }
      },
    }),
  };
}
