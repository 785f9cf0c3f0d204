import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  EMBEDDED_POOL_MAX,
  type EmbeddedPostgres,
  startEmbeddedPostgres,
} from '../../src/db/embedded-postgres.js';
import { applyMigrations } from '../../src/db/migrator.js';
import { createPrismaClient, poolOf, sqlOf } from '../../src/db/prisma-client.js';
import type { PrismaClient } from '../../src/generated/prisma/client.js';

describe('createPrismaClient on embedded PGlite', function () {
  this.timeout(60_000);
  let dataDir: string;
  let server: EmbeddedPostgres | undefined;
  let prisma: PrismaClient | undefined;
  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'prisma-client-'));
    server = await startEmbeddedPostgres({ dataDir });
    await applyMigrations(server.url);
    prisma = createPrismaClient({ url: server.url, poolMax: EMBEDDED_POOL_MAX, embedded: true });
  });
  after(async () => {
    await prisma?.$disconnect();
    await server?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('reads and writes through the adapter', async () => {
    const db = prisma as PrismaClient;
    const tenant = await db.tenant.create({ data: { name: 'acme' } });
    assert.match(tenant.id, /^[0-9a-f]{8}-[0-9a-f]{4}-7/); // uuid(7) default
    assert.equal((await db.tenant.findUniqueOrThrow({ where: { name: 'acme' } })).id, tenant.id);
  });

  it('with one pooled connection, queries outside a transaction wait for it instead of failing', async () => {
    const db = prisma as PrismaClient;
    let outside: Promise<number> | undefined;
    await db.$transaction(async (tx) => {
      await tx.tenant.create({ data: { name: 'in-tx' } });
      outside = db.tenant.count({ where: { name: 'in-tx' } }); // queued behind the transaction
      await new Promise((resolve) => setTimeout(resolve, 200));
    });
    assert.equal(await outside, 1); // ran after COMMIT, so it sees the row
  });

  it('hot-path statements keep working when the pool replaces its connection (one PGlite session)', async () => {
    const db = prisma as PrismaClient;
    const statement = {
      name: 'prisma-client-test',
      text: 'SELECT count(*)::int AS n FROM tenants',
      values: [],
    };
    const first = await sqlOf(db).query<{ n: number }>(statement);
    // Drop the pooled connection: the next statement comes over a new one, to the same session.
    const client = await poolOf(db).connect();
    client.release(true);
    const second = await sqlOf(db).query<{ n: number }>(statement);
    assert.equal(second.rows[0]?.n, first.rows[0]?.n);
  });
});
