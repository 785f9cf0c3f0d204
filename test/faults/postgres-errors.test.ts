// The real shapes of PostgreSQL failures through both paths of the shared pool (Prisma over
// @prisma/adapter-pg, and the plain SQL of sqlOf), against a cluster of the test's own: each must be
// recognised as the database being unavailable (API.md §7: 503 database_unavailable, never a 500),
// every wait must end within the configured bounds, and a connection left with a statement the
// frozen server never answered must not be handed out again.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'mocha';
import pg from 'pg';
import { classifyDatabaseError } from '../../src/db/database-failures.js';
import { createPrismaClient, type DatabaseTimeouts, poolOf, sqlOf } from '../../src/db/prisma-client.js';
import type { PrismaClient } from '../../src/generated/prisma/client.js';
import {
  destroyAllPostgresServers,
  POSTGRES_MISSING,
  PostgresServer,
  postgresBinDir,
} from './support/postgres-server.js';

const TIMEOUTS: DatabaseTimeouts = {
  connectMs: 500,
  statementMs: 500,
  lockMs: 200,
  queryMs: 800,
  transactionMs: 2000,
  idleInTransactionMs: 3000,
};

async function failure(
  what: () => Promise<unknown>,
): Promise<{ kind: string | undefined; ms: number; err: unknown }> {
  const started = performance.now();
  try {
    await what();
  } catch (err) {
    return { kind: classifyDatabaseError(err), ms: Math.round(performance.now() - started), err };
  }
  throw new Error('expected a failure');
}

describe('faults: PostgreSQL error shapes through Prisma and plain SQL (API.md §7)', function () {
  this.timeout(30_000);
  let server: PostgresServer;
  let prisma: PrismaClient;
  let admin: pg.Client;

  before(async function () {
    if (!postgresBinDir()) {
      console.log(`      skipped: ${POSTGRES_MISSING}`);
      this.skip();
    }
    server = await PostgresServer.start();
    admin = new pg.Client({ connectionString: server.url() });
    admin.on('error', () => {});
    await admin.connect();
    await admin.query('CREATE TABLE items (id int PRIMARY KEY, v int)');
    await admin.query('INSERT INTO items VALUES (1, 1)');
    prisma = createPrismaClient({ url: server.url(), poolMax: 3, timeouts: TIMEOUTS });
  });

  after(async () => {
    server?.thaw();
    await prisma?.$disconnect().catch(() => undefined);
    await admin?.end().catch(() => undefined);
    await destroyAllPostgresServers();
  });

  it('statement timeout (57014) → timeout, through both paths, after statement_timeout', async () => {
    for (const attempt of [
      () => sqlOf(prisma).query({ text: 'SELECT pg_sleep(5)', values: [] }),
      () => prisma.$queryRaw`SELECT pg_sleep(5)`,
      () => prisma.$transaction(async (tx) => tx.$queryRaw`SELECT pg_sleep(5)`),
    ]) {
      const f = await failure(attempt);
      assert.equal(f.kind, 'timeout', String(f.err));
      assert.ok(f.ms < TIMEOUTS.queryMs, `${f.ms} ms`);
    }
  });

  it('a row lock held elsewhere (55P03) → lock_timeout after lock_timeout', async () => {
    await admin.query('BEGIN');
    await admin.query('SELECT * FROM items WHERE id = 1 FOR UPDATE');
    try {
      for (const attempt of [
        () => sqlOf(prisma).query({ text: 'UPDATE items SET v = 2 WHERE id = 1', values: [] }),
        () => prisma.$transaction(async (tx) => tx.$executeRaw`UPDATE items SET v = 3 WHERE id = 1`),
      ]) {
        const f = await failure(attempt);
        assert.equal(f.kind, 'lock_timeout', String(f.err));
        assert.ok(f.ms < TIMEOUTS.statementMs, `${f.ms} ms`);
      }
    } finally {
      await admin.query('ROLLBACK');
    }
    assert.equal((await admin.query('SELECT v FROM items WHERE id = 1')).rows[0].v, 1);
  });

  it('admin shutdown of a busy connection (57P01) → unreachable', async () => {
    const running = failure(() => sqlOf(prisma).query({ text: 'SELECT pg_sleep(0.4)', values: [] }));
    await new Promise((resolve) => setTimeout(resolve, 100));
    await admin.query(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(0.4)%' AND pid <> pg_backend_pid()",
    );
    const f = await running;
    assert.equal(f.kind, 'unreachable', String(f.err));
  });

  it('too many connections (53300) → overloaded', async () => {
    await admin.query('CREATE ROLE limited LOGIN CONNECTION LIMIT 1');
    const url = new URL(server.url());
    url.username = 'limited';
    const first = new pg.Client({ connectionString: url.toString() });
    await first.connect();
    try {
      const limited = createPrismaClient({ url: url.toString(), poolMax: 2, timeouts: TIMEOUTS });
      try {
        assert.equal(
          (await failure(() => sqlOf(limited).query({ text: 'SELECT 1', values: [] }))).kind,
          'overloaded',
        );
        assert.equal((await failure(() => limited.$queryRaw`SELECT 1`)).kind, 'overloaded');
      } finally {
        await limited.$disconnect();
      }
    } finally {
      await first.end();
    }
  });

  it('frozen server: connect and statements end within connectMs + queryMs; the stuck connection is not reused', async () => {
    const pool = poolOf(prisma);
    let removed = 0;
    pool.on('remove', () => {
      removed += 1;
    });
    const bound = TIMEOUTS.connectMs + TIMEOUTS.queryMs + 300;
    // A transaction whose connection goes silent half-way: Prisma rolls back and releases it
    // without an error; it must be closed, not returned to the idle list with its statement in flight.
    const inTransaction = await failure(() =>
      prisma.$transaction(async (tx) => {
        await tx.$queryRaw`SELECT 1`;
        server.freeze();
        await tx.$queryRaw`SELECT 2`;
      }),
    );
    try {
      assert.equal(inTransaction.kind, 'timeout', String(inTransaction.err));
      await new Promise((resolve) => setTimeout(resolve, TIMEOUTS.queryMs + 200));
      assert.equal(pool.idleCount, 0, 'no idle connection waits on the frozen server');
      assert.ok(removed >= 1, 'the stuck connection was closed');
      for (const attempt of [
        () => sqlOf(prisma).query({ text: 'SELECT 1', values: [] }),
        () => prisma.$queryRaw`SELECT 1`,
        () => prisma.$transaction(async (tx) => tx.$queryRaw`SELECT 1`),
      ]) {
        const f = await failure(attempt);
        assert.equal(f.kind, 'timeout', String(f.err));
        assert.ok(f.ms < bound, `${f.ms} ms`);
      }
    } finally {
      server.thaw();
    }
    const started = performance.now();
    await sqlOf(prisma).query({ text: 'SELECT 1', values: [] });
    await prisma.$queryRaw`SELECT 1`;
    assert.ok(performance.now() - started < 1000, 'answers again at once after the thaw');
  });

  it('stopped server → unreachable at once, through every path; back by itself after the restart', async () => {
    await server.stop();
    try {
      for (const attempt of [
        () => sqlOf(prisma).query({ text: 'SELECT 1', values: [] }),
        () => prisma.$queryRaw`SELECT 1`,
        () => prisma.tenant.findFirst(),
        () => prisma.$transaction(async (tx) => tx.$queryRaw`SELECT 1`),
      ]) {
        const f = await failure(attempt);
        assert.equal(f.kind, 'unreachable', String(f.err));
        assert.ok(f.ms < TIMEOUTS.connectMs, `${f.ms} ms`);
      }
    } finally {
      await server.restart();
    }
    await sqlOf(prisma).query({ text: 'SELECT 1', values: [] });
    await prisma.$queryRaw`SELECT 1`;
  });
});
