// Entry point of `npm start`: configuration → infrastructure → application → listen.
// Stops cleanly on SIGTERM/SIGINT: no new connections, in-flight requests finish, then the
// database (and the embedded PGlite with its lock) is closed.
import { wireApplication } from './composition-root.js';
import { loadConfig } from './config/config.js';
import { openInfrastructure } from './infrastructure.js';
import { createLogger } from './observability/logger.js';
import { createMetricsRegistry } from './observability/metrics.js';
import { closeRedis, openRedis } from './redis/redis-connection.js';
import { installShutdown } from './shutdown.js';
import { closeOnError, exitOnStartupFailure } from './startup-failure.js';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel, undefined, config.logFormat);
  const infra = await openInfrastructure(config, logger, 'server');
  const redis = config.redisUrl
    ? await openRedis(config.redisUrl, logger).catch(closeOnError(infra))
    : undefined;
  const { app, refresh, trashPurger, webhooks } = wireApplication({
    prisma: infra.prisma,
    config,
    logger,
    keyRing: infra.keyRing,
    redis,
    readinessProbes: redis ? [{ name: 'redis', check: async () => void (await redis.ping()) }] : [],
    metricsRegistry: createMetricsRegistry(),
  });
  const server = app.listen(config.port, config.host);
  server.requestTimeout = config.requestTimeoutMs;
  // Slow-header clients are cut off sooner than whole requests; node requires headersTimeout <= requestTimeout.
  server.headersTimeout = Math.min(config.headersTimeoutMs, config.requestTimeoutMs);
  server.keepAliveTimeout = config.keepAliveTimeoutMs;
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  logger.info(
    { port, embedded: infra.embedded },
    `auth-secret service listening on http://127.0.0.1:${port}`,
  );
  // Every `npm start` renews tokens ahead of expiry (docs/adr/0004): alone on the embedded default,
  // and side by side with other servers and `npm run worker` processes when REDIS_URL is set.
  const worker = refresh.createWorker();
  worker.start();
  trashPurger.start();
  // …and delivers webhook events, claiming side by side with every other process.
  const webhookWorker = webhooks.createWorker();
  webhookWorker.start();
  installShutdown({
    logger,
    server,
    timeoutMs: config.shutdownTimeoutMs,
    closeResources: async () => {
      await Promise.all([worker.stop(), trashPurger.stop(), webhookWorker.stop()]);
      await refresh.service.idle();
      // Revocations started by purges just before the signal (bounded by OAUTH_TIMEOUT_MS each).
      await refresh.revocations.idle();
      if (redis) await closeRedis(redis);
      await infra.close();
    },
  });
}

main().catch(exitOnStartupFailure);
