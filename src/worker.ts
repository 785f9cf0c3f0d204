// Entry point of `npm run worker`: a refresh worker and a webhook delivery worker on their own, for deployments with several
// processes (docs/adr/0004-refresh-single-flight.md). It needs the shared PostgreSQL and Redis:
// on the embedded default the PGlite files belong to the one `npm start` process, which runs the
// worker itself; and without Redis a separate worker could race the servers' on-demand refreshes.
// SIGTERM/SIGINT: stop claiming, finish the refreshes in flight, close Redis and the database.

import { Registry } from 'prom-client';
import { loadConfig } from './config/config.js';
import { DatabaseFailureLog } from './db/database-failures.js';
import { sqlOf } from './db/prisma-client.js';
import { openInfrastructure, StartupError } from './infrastructure.js';
import { createAuthSecretStore } from './modules/auth-secrets/auth-secret-store.js';
import { createTrashPurger } from './modules/auth-secrets/trash/trash-purger.js';
import { createLogger } from './observability/logger.js';
import { closeRedis, openRedis } from './redis/redis-connection.js';
import { createRefreshModule } from './refresh/refresh-module.js';
import { installShutdown } from './shutdown.js';
import { closeOnError, exitOnStartupFailure } from './startup-failure.js';
import { createWebhookDeliveryModule } from './webhooks/webhook-delivery-module.js';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel, undefined, config.logFormat);
  if (!config.databaseUrl) {
    throw new StartupError(
      '`npm run worker` needs DATABASE_URL. On the embedded default (no DATABASE_URL) only one process may ' +
        'open the PGlite files, so the refresh worker runs inside `npm start`: start that instead.',
    );
  }
  if (!config.redisUrl) {
    throw new StartupError(
      '`npm run worker` needs REDIS_URL: without Redis, refreshes are coordinated inside one process only, ' +
        'and every `npm start` already runs a refresh worker. Set REDIS_URL for several processes.',
    );
  }
  const infra = await openInfrastructure(config, logger, 'server');
  const redis = await openRedis(config.redisUrl, logger).catch(closeOnError(infra));
  const registry = new Registry();
  // One log of database outages for the three workers: one line each way per outage.
  const databaseFailures = new DatabaseFailureLog(logger);
  const refresh = createRefreshModule({
    databaseFailures,
    prisma: infra.prisma,
    secrets: createAuthSecretStore({
      prisma: infra.prisma,
      sql: sqlOf(infra.prisma),
      versionsKept: config.secretVersionsKept,
      refreshAheadSeconds: config.refreshAheadSeconds,
    }),
    config,
    logger,
    keyRing: infra.keyRing,
    registry,
    redis,
  });
  const worker = refresh.createWorker();
  worker.start();
  // Expired trash is purged beside the refreshes (API.md §9.2); safe with any number of workers.
  // The purged secrets' tokens are revoked after each batch (API.md §10.1).
  const trashPurger = createTrashPurger({
    prisma: infra.prisma,
    config,
    logger,
    databaseFailures,
    afterPurge: refresh.revocations.afterPurge,
  });
  trashPurger.start();
  const webhookWorker = createWebhookDeliveryModule({
    prisma: infra.prisma,
    config,
    logger,
    keyRing: infra.keyRing,
    registry,
    databaseFailures,
  }).createWorker();
  webhookWorker.start();

  installShutdown({
    logger,
    timeoutMs: config.shutdownTimeoutMs,
    closeResources: async () => {
      await Promise.all([worker.stop(), trashPurger.stop(), webhookWorker.stop()]);
      await refresh.service.idle();
      await refresh.revocations.idle();
      await closeRedis(redis);
      await infra.close();
    },
  });
}

main().catch(exitOnStartupFailure);
