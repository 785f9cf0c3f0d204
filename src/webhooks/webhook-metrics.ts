// Prometheus metrics of webhook delivery (API.md §12). Registered on the Registry passed in; no
// label holds a tenant, webhook, delivery or URL, so cardinality is fixed.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { SendOutcome } from './webhook-sender.js';

export interface WebhookMetrics {
  attempts: Counter<'outcome'>;
  completed: Counter<'status'>;
  duration: Histogram<'outcome'>;
  pending: Gauge;
}

export function createWebhookMetrics(
  registry: Registry,
  countPending?: () => Promise<number>,
): WebhookMetrics {
  return {
    attempts: new Counter({
      name: 'webhook_delivery_attempts_total',
      help: 'Webhook delivery attempts by outcome: delivered, http_error, redirect, timeout, unreachable, blocked, internal_error.',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    completed: new Counter({
      name: 'webhook_deliveries_completed_total',
      help: 'Webhook deliveries that reached a final status: delivered, or failed after the last attempt.',
      labelNames: ['status'],
      registers: [registry],
    }),
    duration: new Histogram({
      name: 'webhook_delivery_duration_seconds',
      help: 'Duration of webhook delivery attempts (DNS, connect and response headers), by outcome.',
      labelNames: ['outcome'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    pending: new Gauge({
      name: 'webhook_deliveries_pending',
      help: 'Webhook deliveries not yet delivered or failed (queued, waiting for a retry, or being sent).',
      registers: [registry],
      async collect() {
        if (!countPending) return;
        try {
          this.set(await countPending());
        } catch {
          // A scrape must not fail because the database is briefly unavailable.
        }
      },
    }),
  };
}

export type { SendOutcome };
