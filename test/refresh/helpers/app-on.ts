// Like test/support/test-app.ts, but on a database of the caller's choosing (an isolated one for
// worker tests) and optionally with Redis; logs go to the shared capturedLogs for leak scans.
import { Writable } from 'node:stream';
import type { Express } from 'express';
import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { wireApplication } from '../../../src/composition-root.js';
import { type Config, loadConfig } from '../../../src/config/config.js';
import { generateKeySpec, type KeyRing, parseKeyRing } from '../../../src/crypto/key-ring.js';
import { createPrismaClient } from '../../../src/db/prisma-client.js';
import type { PrismaClient } from '../../../src/generated/prisma/client.js';
import { ensureBuiltInRoles } from '../../../src/modules/roles/built-in-roles.js';
import { createLogger } from '../../../src/observability/logger.js';
import type { RefreshModule } from '../../../src/refresh/refresh-module.js';
import { capturedLogs } from '../../support/test-app.js';

export interface RefreshTestApp {
  app: Express;
  prisma: PrismaClient;
  config: Config;
  keyRing: KeyRing;
  refresh: RefreshModule;
  registry: Registry;
  redis: Redis | undefined;
  close(): Promise<void>;
}

export async function createAppOn(
  databaseUrl: string,
  env: Record<string, string> = {},
  redisUrl?: string,
): Promise<RefreshTestApp> {
  const config = loadConfig({ OAUTH_ALLOW_LOOPBACK_HTTP: 'true', LOG_LEVEL: 'info', ...env });
  const prisma = createPrismaClient({ url: databaseUrl, poolMax: 5 });
  await ensureBuiltInRoles(prisma);
  const keyRing = parseKeyRing(env.ENCRYPTION_KEYS ?? generateKeySpec('test'));
  const sink = new Writable({
    write(chunk, _enc, cb) {
      capturedLogs.push(String(chunk));
      cb();
    },
  });
  const logger = createLogger(config.logLevel, sink);
  const redis = redisUrl ? new Redis(redisUrl, { maxRetriesPerRequest: 2 }) : undefined;
  const registry = new Registry();
  const { app, refresh } = wireApplication({
    prisma,
    config,
    logger,
    keyRing,
    redis,
    metricsRegistry: registry,
  });
  return {
    app,
    prisma,
    config,
    keyRing,
    refresh,
    registry,
    redis,
    async close() {
      await refresh.service.idle();
      await prisma.$disconnect();
      if (redis) await redis.quit();
    },
  };
}
