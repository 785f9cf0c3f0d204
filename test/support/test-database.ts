// One migrated database per test run, shared by all test files. Tests build their own
// Prisma clients/pools from testDatabaseUrl() inside hooks or tests (not at import time:
// the global setup runs after the test files are loaded), and close them in after hooks.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { EMBEDDED_POOL_MAX } from '../../src/db/embedded-postgres.js';
import { applyMigrations } from '../../src/db/migrator.js';

export interface TestDatabase {
  /** Connection string of the migrated test database. */
  url: string;
  /** `server`: a fresh database on TEST_DATABASE_URL's server; `embedded`: PGlite. */
  kind: 'server' | 'embedded';
  /** Drops the database (server) or stops PGlite and removes its files (embedded). */
  close(): Promise<void>;
}

// Kept on globalThis so a second copy of this module (should a loader ever produce one)
// still sees the database the global setup created.
const slot = Symbol.for('auth-secret-service.test-database');
type GlobalWithSlot = typeof globalThis & { [slot]?: TestDatabase };

function current(): TestDatabase | undefined {
  return (globalThis as GlobalWithSlot)[slot];
}

function setCurrent(db: TestDatabase | undefined): void {
  (globalThis as GlobalWithSlot)[slot] = db;
}

/** URL of this run's migrated test database. */
export function testDatabaseUrl(): string {
  const db = current();
  if (!db) {
    throw new Error(
      'No test database: run tests through mocha (`npm test`), whose global setup in ' +
        'test/support/root-hooks.ts creates it, and call testDatabaseUrl() inside hooks or tests.',
    );
  }
  return db.url;
}

/** True when this run's database is the embedded PGlite (createPrismaClient's `embedded`). */
export function testDatabaseIsEmbedded(): boolean {
  return current()?.kind === 'embedded';
}

/** Connections a test's Prisma client may open: the embedded database serialises everything. */
export function testPoolMax(): number {
  return current()?.kind === 'embedded' ? EMBEDDED_POOL_MAX : 5;
}

/** TEST_REDIS_URL, or undefined when no Redis is available (tests needing it should skip). */
export function testRedisUrl(): string | undefined {
  return process.env.TEST_REDIS_URL || undefined;
}

/**
 * Creates and migrates the database for this run: a fresh `test_<timestamp>_<random>`
 * database on the server at TEST_DATABASE_URL when set, otherwise an embedded PGlite in a
 * temporary directory. Calling it again returns the same database until it is closed.
 */
export async function getTestDatabase(): Promise<TestDatabase> {
  const existing = current();
  if (existing) return existing;
  const serverUrl = process.env.TEST_DATABASE_URL;
  const db = serverUrl ? await createServerDatabase(serverUrl) : await startEmbeddedDatabase();
  const close = db.close;
  const tracked: TestDatabase = {
    ...db,
    close: async () => {
      if (current() === tracked) setCurrent(undefined);
      await close();
    },
  };
  setCurrent(tracked);
  return tracked;
}

async function withClient<T>(connectionString: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function createServerDatabase(serverUrl: string): Promise<TestDatabase> {
  const name = `test_${Date.now()}_${randomBytes(4).toString('hex')}`;
  await withClient(serverUrl, (c) => c.query(`CREATE DATABASE "${name}"`));
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  // FORCE ends connections a test forgot to close, so the drop cannot hang or fail.
  const drop = () => withClient(serverUrl, (c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
  try {
    await applyMigrations(url.toString());
  } catch (error) {
    await drop().catch(() => undefined);
    throw error;
  }
  return {
    url: url.toString(),
    kind: 'server',
    close: async () => {
      await drop();
    },
  };
}

async function startEmbeddedDatabase(): Promise<TestDatabase> {
  // Loaded only here so runs against a real server never load PGlite.
  const { startEmbeddedPostgres } = await import('../../src/db/embedded-postgres.js');
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'auth-secret-test-pglite-'));
  const removeDir = () => rm(dataDir, { recursive: true, force: true });
  let embedded: Awaited<ReturnType<typeof startEmbeddedPostgres>>;
  try {
    embedded = await startEmbeddedPostgres({ dataDir });
  } catch (error) {
    await removeDir();
    throw error;
  }
  const stop = async () => {
    try {
      await embedded.stop();
    } finally {
      await removeDir();
    }
  };
  try {
    await applyMigrations(embedded.url);
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
  return { url: embedded.url, kind: 'embedded', close: stop };
}
