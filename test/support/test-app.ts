// Builds the real application against this run's test database, with a captured log so tests
// can assert that no secret ever reaches a log line.
import { Writable } from 'node:stream';
import type { Express } from 'express';
import { wireApplication } from '../../src/composition-root.js';
import { type Config, loadConfig } from '../../src/config/config.js';
import { generateKeySpec, type KeyRing, parseKeyRing } from '../../src/crypto/key-ring.js';
import { createPrismaClient } from '../../src/db/prisma-client.js';
import type { PrismaClient } from '../../src/generated/prisma/client.js';
import { ensureBuiltInRoles } from '../../src/modules/roles/built-in-roles.js';
import { createLogger } from '../../src/observability/logger.js';
import { testDatabaseIsEmbedded, testDatabaseUrl, testPoolMax } from './test-database.js';

/** Every log line written by any test app in this process, for secret scans. */
export const capturedLogs: string[] = [];

export interface TestApp {
  app: Express;
  prisma: PrismaClient;
  config: Config;
  keyRing: KeyRing;
  close(): Promise<void>;
}

export async function createTestApp(env: Record<string, string> = {}): Promise<TestApp> {
  const config = loadConfig({ OAUTH_ALLOW_LOOPBACK_HTTP: 'true', LOG_LEVEL: 'info', ...env });
  const prisma = createPrismaClient({
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
  const { app } = wireApplication({ prisma, config, logger, keyRing });
  return { app, prisma, config, keyRing, close: () => prisma.$disconnect() };
}
