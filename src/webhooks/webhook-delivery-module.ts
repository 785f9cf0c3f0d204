// Wires webhook delivery: store → metrics → worker. The composition root builds it once per
// application; entry points (server.ts, worker.ts) start the worker.

import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Config } from '../config/config.js';
import type { KeyRing } from '../crypto/key-ring.js';
import type { DatabaseFailureLog } from '../db/database-failures.js';
import type { PrismaClient } from '../generated/prisma/client.js';
import { createDeliveryStore, type DeliveryStore } from './delivery-store.js';
import { DeliveryWorker, type DeliveryWorkerOptions } from './delivery-worker.js';
import { createWebhookMetrics } from './webhook-metrics.js';

type WorkerTuning = Pick<
  DeliveryWorkerOptions,
  'concurrency' | 'perDestination' | 'pollMs' | 'timeoutMs' | 'retryScheduleSeconds' | 'allowLoopback'
>;

export interface WebhookDeliveryModule {
  store: DeliveryStore;
  /** A worker for this process (not started); tests may override its tuning. */
  createWorker(tuning?: Partial<WorkerTuning>): DeliveryWorker;
}

export function createWebhookDeliveryModule(opts: {
  prisma: PrismaClient;
  config: Config;
  logger: Logger;
  keyRing: KeyRing;
  registry: Registry;
  /** The process's one log of database outages, shared with the request path and the other workers. */
  databaseFailures?: DatabaseFailureLog;
}): WebhookDeliveryModule {
  const { config } = opts;
  const store = createDeliveryStore(opts.prisma);
  const metrics = createWebhookMetrics(opts.registry, () => store.countPending());
  return {
    store,
    createWorker: (tuning = {}) =>
      new DeliveryWorker({
        store,
        keyRing: opts.keyRing,
        logger: opts.logger,
        metrics,
        concurrency: config.webhookConcurrency,
        perDestination: config.webhookConcurrencyPerDestination,
        pollMs: Math.round(config.webhookPollSeconds * 1000),
        timeoutMs: config.webhookTimeoutMs,
        retryScheduleSeconds: config.webhookRetryScheduleSeconds,
        allowLoopback: config.oauthAllowLoopbackHttp,
        ...(opts.databaseFailures ? { databaseFailures: opts.databaseFailures } : {}),
        ...tuning,
      }),
  };
}
