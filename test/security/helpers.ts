// Shared by the security suites: log capture per test, and an app wired with a Redis client of the
// test's choosing (test/support/test-app.ts builds apps without Redis).
import { Writable } from 'node:stream';
import type { Express } from 'express';
import type { Redis } from 'ioredis';
import { wireApplication } from '../../src/composition-root.js';
import { loadConfig } from '../../src/config/config.js';
import { generateKeySpec, parseKeyRing } from '../../src/crypto/key-ring.js';
import type { PrismaClient } from '../../src/generated/prisma/client.js';
import { createLogger } from '../../src/observability/logger.js';
import { capturedLogs } from '../support/test-app.js';

export const basicAuth = (email: string, key: string) =>
  `Basic ${Buffer.from(`${email}:${key}`).toString('base64')}`;

export type LogLine = Record<string, unknown> & { msg?: string; level?: number };

/** The log lines written to capturedLogs since `from` (an index into it), parsed. */
export function logLinesSince(from: number): LogLine[] {
  return capturedLogs.slice(from).flatMap((chunk) =>
    chunk
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as LogLine),
  );
}

/** Waits (bounded) until a log line written since `from` matches: request lines are written on 'finish'. */
export async function waitForLogLine(
  from: number,
  match: (line: LogLine) => boolean,
  timeoutMs = 2000,
): Promise<LogLine> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const line = logLinesSince(from).find(match);
    if (line) return line;
    if (Date.now() > deadline) throw new Error('no matching log line was written');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The real application on the test database, with the given Redis client (connected or not). */
export function appWithRedis(prisma: PrismaClient, redis: Redis, env: Record<string, string>): Express {
  const config = loadConfig({ LOG_LEVEL: 'info', ...env });
  const sink = new Writable({
    write(chunk, _enc, cb) {
      capturedLogs.push(String(chunk));
      cb();
    },
  });
  const logger = createLogger(config.logLevel, sink);
  const keyRing = parseKeyRing(generateKeySpec('test'));
  return wireApplication({ prisma, config, logger, keyRing, redis }).app;
}

/** A random address in 2001:db8::/32 (documentation prefix): its own /64, so its own counters. */
export function randomClientAddress(): string {
  const hex = () => Math.floor(Math.random() * 0x10000).toString(16);
  return `2001:db8:${hex()}:${hex()}::${hex()}`;
}
