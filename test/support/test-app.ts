// The one builder of the real application for tests: wired by the composition root against this
// run's test database (or one of the caller's), with a captured log so tests can assert that no
// secret ever reaches a log line. Options cover the variants suites need: Redis, a database of their
// own (refresh workers), a loopback listener with a raw HTTP client (fuzz, isolation).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import type { Express } from 'express';
import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { wireApplication } from '../../src/composition-root.js';
import { type Config, loadConfig } from '../../src/config/config.js';
import { generateKeySpec, type KeyRing, parseKeyRing } from '../../src/crypto/key-ring.js';
import { createPrismaClient } from '../../src/db/prisma-client.js';
import type { PrismaClient } from '../../src/generated/prisma/client.js';
import type { AnyRoute } from '../../src/http/route-table.js';
import type { TrashPurger } from '../../src/modules/auth-secrets/trash/trash-purger.js';
import { ensureBuiltInRoles } from '../../src/modules/roles/built-in-roles.js';
import { createLogger } from '../../src/observability/logger.js';
import type { RefreshModule } from '../../src/refresh/refresh-module.js';
import type { WebhookDeliveryModule } from '../../src/webhooks/webhook-delivery-module.js';
import { type RawRequest, type RawResponse, sendRaw } from './raw-http.js';
import { recordResponses } from './response-recorder.js';
import { testDatabaseIsEmbedded, testDatabaseUrl, testPoolMax } from './test-database.js';

/** Every log line written by any test app in this process, for secret scans. */
export const capturedLogs: string[] = [];

/**
 * Rate limits off: the fuzz sends hundreds of bad credentials from one address, and the
 * failed-authentication block (429 for every request after 50) would otherwise stop the tenant
 * admin's requests before they reach validation.
 */
export const NO_RATE_LIMITS: Readonly<Record<string, string>> = {
  RATE_LIMIT_PER_IP_PER_MINUTE: '0',
  RATE_LIMIT_PER_KEY_PER_MINUTE: '0',
  AUTH_FAILURE_LIMIT_PER_IP_PER_MINUTE: '0',
};

export interface TestAppOptions {
  /** A database of the caller's (e.g. an isolated one for worker tests) instead of this run's. */
  databaseUrl?: string;
  /** A Redis URL (the app connects and quits on close) or a client the caller owns. */
  redis?: string | Redis;
  /** Listen on a loopback port and send raw requests through `send` (one server, keep-alive). */
  listen?: boolean;
  /** The registry /metrics serves (e.g. createMetricsRegistry(), with the process metrics); else a bare one. */
  metricsRegistry?: Registry;
}

export interface TestApp {
  app: Express;
  prisma: PrismaClient;
  config: Config;
  keyRing: KeyRing;
  /** The route table the app was built from: suites that walk every route read it here. */
  routes: AnyRoute[];
  refresh: RefreshModule;
  /** Webhook delivery: tests start its worker themselves when they want events sent. */
  webhooks: WebhookDeliveryModule;
  /** The trash purger as wired for `npm start` (not started): tests call its sweep(). */
  trashPurger: TrashPurger;
  registry: Registry;
  redis: Redis | undefined;
  close(): Promise<void>;
}

export interface ListeningTestApp extends TestApp {
  /** `http://127.0.0.1:PORT`: for clients that take a base URL (openapi-fetch). */
  baseUrl: string;
  /** Sends one request, byte for byte, to the app on its loopback port. */
  send(r: RawRequest): Promise<RawResponse>;
}

export async function createTestApp(
  env: Record<string, string>,
  options: TestAppOptions & { listen: true },
): Promise<ListeningTestApp>;
export async function createTestApp(env?: Record<string, string>, options?: TestAppOptions): Promise<TestApp>;
export async function createTestApp(
  env: Record<string, string> = {},
  options: TestAppOptions = {},
): Promise<TestApp | ListeningTestApp> {
  const config = loadConfig({ OAUTH_ALLOW_LOOPBACK_HTTP: 'true', LOG_LEVEL: 'info', ...env });
  const prisma =
    options.databaseUrl !== undefined
      ? createPrismaClient({ url: options.databaseUrl, poolMax: 5 })
      : createPrismaClient({
          url: testDatabaseUrl(),
          poolMax: testPoolMax(),
          embedded: testDatabaseIsEmbedded(),
        });
  await ensureBuiltInRoles(prisma);
  const keyRing = parseKeyRing(env.ENCRYPTION_KEYS ?? generateKeySpec('test'));
  const sink = new Writable({
    write(chunk, _enc, cb) {
      capturedLogs.push(String(chunk));
      cb();
    },
  });
  const logger = createLogger(config.logLevel, sink);
  const ownsRedis = typeof options.redis === 'string';
  const redis =
    typeof options.redis === 'string' ? new Redis(options.redis, { maxRetriesPerRequest: 2 }) : options.redis;
  const registry = options.metricsRegistry ?? new Registry();
  const { app, routes, refresh, webhooks, trashPurger } = wireApplication({
    prisma,
    config,
    logger,
    keyRing,
    redis,
    metricsRegistry: registry,
  });
  // Every response is checked against the OpenAPI description after the run (test/openapi/).
  recordResponses(app, routes);
  const close = async () => {
    await refresh.service.idle();
    await refresh.revocations.idle();
    await prisma.$disconnect();
    if (redis && ownsRedis) await redis.quit();
  };
  const built: TestApp = {
    app,
    prisma,
    config,
    keyRing,
    routes,
    refresh,
    webhooks,
    trashPurger,
    registry,
    redis,
    close,
  };
  if (!options.listen) return built;

  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  return {
    ...built,
    baseUrl: `http://127.0.0.1:${port}`,
    send: (r) => sendRaw(port, agent, r),
    close: async () => {
      agent.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await close();
    },
  };
}
