// src/db/migrator.ts against `prisma migrate deploy`: the same `_prisma_migrations` table and rows,
// so a database either tool migrated is taken over by the other. Prisma's own schema engine
// (WebAssembly, scripts/lib/prisma-schema-engine.ts) is the reference.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import {
  applyMigrationsWithEngine,
  DEFAULT_SCHEMA_PATH,
  diffMigrationsToSchema,
} from '../../scripts/lib/prisma-schema-engine.js';
import { type EmbeddedPostgres, startEmbeddedPostgres } from '../../src/db/embedded-postgres.js';
import { applyMigrations, DEFAULT_MIGRATIONS_DIR, loadMigrations } from '../../src/db/migrator.js';

async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client(url);
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

// The table `prisma migrate deploy` creates, column by column.
const PRISMA_MIGRATIONS_COLUMNS = [
  ['id', 'character varying', 'NO', null],
  ['checksum', 'character varying', 'NO', null],
  ['finished_at', 'timestamp with time zone', 'YES', null],
  ['migration_name', 'character varying', 'NO', null],
  ['logs', 'text', 'YES', null],
  ['rolled_back_at', 'timestamp with time zone', 'YES', null],
  ['started_at', 'timestamp with time zone', 'NO', 'now()'],
  ['applied_steps_count', 'integer', 'NO', '0'],
];

const historyColumns = (url: string) =>
  withClient(url, async (c) => {
    const { rows } = await c.query(
      `SELECT column_name, data_type, is_nullable, column_default FROM information_schema.columns
       WHERE table_name = '_prisma_migrations' ORDER BY ordinal_position`,
    );
    return rows.map((r) => [r.column_name, r.data_type, r.is_nullable, r.column_default]);
  });

const historyRows = (url: string) =>
  withClient(url, async (c) => {
    const { rows } = await c.query(
      `SELECT migration_name, checksum, finished_at IS NOT NULL AS finished, rolled_back_at, logs,
              applied_steps_count, length(id) AS id_length
       FROM _prisma_migrations ORDER BY migration_name`,
    );
    return rows;
  });

const tableExists = (url: string, table: string) =>
  withClient(url, async (c) => {
    const { rows } = await c.query(`SELECT to_regclass($1) IS NOT NULL AS present`, [table]);
    return rows[0]?.present as boolean;
  });

// The stock migrations plus extra folders, in a temporary copy.
async function migrationsWith(extra: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'migrator-extra-'));
  await cp(DEFAULT_MIGRATIONS_DIR, dir, { recursive: true });
  for (const [name, sql] of Object.entries(extra)) {
    await mkdir(join(dir, name));
    await writeFile(join(dir, name, 'migration.sql'), sql);
  }
  return dir;
}

const FAILING = {
  '99999999999998_creates_then_fails':
    'CREATE TABLE migrator_half (id INTEGER);\nSELECT no_such_function_here();\n',
};

async function expectedRows() {
  const migrations = await loadMigrations();
  return migrations.map((m) => ({
    migration_name: m.name,
    checksum: createHash('sha256').update(m.sql).digest('hex'),
    finished: true,
    rolled_back_at: null,
    logs: null,
    applied_steps_count: 1,
    id_length: 36,
  }));
}

describe('applyMigrations on embedded PGlite', function () {
  this.timeout(60_000);
  let dataDir: string;
  let server: EmbeddedPostgres | undefined;
  const url = () => server?.url ?? '';
  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'migrator-pglite-'));
    server = await startEmbeddedPostgres({ dataDir });
  });
  after(async () => {
    await server?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('applies every migration once, recorded as Prisma records it; a second run applies nothing', async () => {
    const names = (await loadMigrations()).map((m) => m.name);
    assert.ok(names.length > 0);
    assert.deepEqual(await applyMigrations(url()), { applied: names, modified: [] });
    assert.deepEqual(await applyMigrations(url()), { applied: [], modified: [] });
    assert.deepEqual(await historyColumns(url()), PRISMA_MIGRATIONS_COLUMNS);
    assert.deepEqual(await historyRows(url()), await expectedRows());
    assert.equal(await tableExists(url(), 'auth_secrets'), true);
  });

  it('rolls a failing migration back whole: no table, no history row', async () => {
    const dir = await migrationsWith(FAILING);
    try {
      await assert.rejects(applyMigrations(url(), { migrationsDir: dir }), (err: Error) => {
        assert.match(err.message, /99999999999998_creates_then_fails failed and was rolled back/);
        assert.match(err.message, /no_such_function_here/);
        return true;
      });
      assert.equal(await tableExists(url(), 'migrator_half'), false);
      assert.deepEqual(await historyRows(url()), await expectedRows());
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

// Each test on a database of its own, on the shared PostgreSQL server.
const serverUrl = process.env.TEST_DATABASE_URL;
(serverUrl ? describe : describe.skip)('applyMigrations on PostgreSQL (TEST_DATABASE_URL)', function () {
  this.timeout(60_000);
  const created: string[] = [];
  async function freshDatabase(): Promise<string> {
    const name = `migr_${randomBytes(6).toString('hex')}`;
    await withClient(serverUrl ?? '', (c) => c.query(`CREATE DATABASE "${name}"`));
    created.push(name);
    const url = new URL(serverUrl ?? '');
    url.pathname = `/${name}`;
    return url.toString();
  }
  after(async () => {
    for (const name of created) {
      await withClient(serverUrl ?? '', (c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
    }
  });

  it('on a fresh database: every migration once, the same table and rows as prisma migrate deploy', async () => {
    const ours = await freshDatabase();
    const prisma = await freshDatabase();
    const names = (await loadMigrations()).map((m) => m.name);
    assert.deepEqual(await applyMigrations(ours), { applied: names, modified: [] });
    assert.deepEqual(await applyMigrationsWithEngine(prisma), { applied: names });
    assert.deepEqual(await historyColumns(ours), PRISMA_MIGRATIONS_COLUMNS);
    assert.deepEqual(await historyColumns(prisma), PRISMA_MIGRATIONS_COLUMNS);
    assert.deepEqual(await historyRows(ours), await expectedRows());
    assert.deepEqual(await historyRows(prisma), await expectedRows());
    assert.deepEqual(await applyMigrations(ours), { applied: [], modified: [] });
  });

  it('takes over a database Prisma migrated, applying only what is new; and Prisma takes over ours', async () => {
    const url = await freshDatabase();
    await applyMigrationsWithEngine(url);
    const dir = await migrationsWith({
      '99999999999999_probe': 'CREATE TABLE migrator_probe (id INTEGER);\n',
    });
    try {
      assert.deepEqual(await applyMigrations(url, { migrationsDir: dir }), {
        applied: ['99999999999999_probe'],
        modified: [],
      });
      assert.equal(await tableExists(url, 'migrator_probe'), true);
      // The stock CLI finds nothing left to do in what this runner recorded.
      assert.deepEqual(await applyMigrationsWithEngine(url, { migrationsDir: dir }), { applied: [] });
      // Rows of migrations that are not on disk (here: the probe) are ignored, as by migrate deploy.
      assert.deepEqual(await applyMigrations(url), { applied: [], modified: [] });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses to go on past a migration Prisma recorded as failed, naming it', async () => {
    const url = await freshDatabase();
    await applyMigrations(url);
    await withClient(url, (c) =>
      c.query(
        `INSERT INTO _prisma_migrations (id, checksum, migration_name, logs, applied_steps_count)
         VALUES ('failed-probe', 'x', '99999999999999_failed_probe', 'boom', 0)`,
      ),
    );
    await assert.rejects(applyMigrations(url), /failed migrations: 99999999999999_failed_probe/);
    // Resolved as `prisma migrate resolve --rolled-back` does it: the runner goes on.
    await withClient(url, (c) =>
      c.query(`UPDATE _prisma_migrations SET rolled_back_at = now() WHERE id = 'failed-probe'`),
    );
    assert.deepEqual(await applyMigrations(url), { applied: [], modified: [] });
  });

  it('rolls a failing migration back whole and applies it once it is fixed', async () => {
    const url = await freshDatabase();
    const dir = await migrationsWith(FAILING);
    try {
      await assert.rejects(applyMigrations(url, { migrationsDir: dir }), /creates_then_fails failed/);
      assert.equal(await tableExists(url, 'migrator_half'), false);
      assert.deepEqual(await historyRows(url), await expectedRows());
      await writeFile(
        join(dir, '99999999999998_creates_then_fails', 'migration.sql'),
        'CREATE TABLE migrator_half (id INTEGER);\n',
      );
      assert.deepEqual(await applyMigrations(url, { migrationsDir: dir }), {
        applied: ['99999999999998_creates_then_fails'],
        modified: [],
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('reports an applied migration whose file changed, without re-running it', async () => {
    const url = await freshDatabase();
    const dir = await migrationsWith({
      '99999999999999_probe': 'CREATE TABLE migrator_probe (id INTEGER);\n',
    });
    try {
      await applyMigrations(url, { migrationsDir: dir });
      await writeFile(
        join(dir, '99999999999999_probe', 'migration.sql'),
        'CREATE TABLE migrator_other (id INTEGER);\n',
      );
      assert.deepEqual(await applyMigrations(url, { migrationsDir: dir }), {
        applied: [],
        modified: ['99999999999999_probe'],
      });
      assert.equal(await tableExists(url, 'migrator_other'), false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('two processes starting at once: the advisory lock lets one apply, the other finds it done', async () => {
    const url = await freshDatabase();
    const names = (await loadMigrations()).map((m) => m.name);
    const outcomes = await Promise.all([applyMigrations(url), applyMigrations(url)]);
    const applied = outcomes.map((o) => o.applied).sort((a, b) => a.length - b.length);
    assert.deepEqual(applied, [[], names]);
    assert.deepEqual(await historyRows(url), await expectedRows());
  });
});

describe('diffMigrationsToSchema (npm run db:diff)', function () {
  this.timeout(60_000);
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'migrator-diff-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('finds prisma/migrations in step with prisma/schema.prisma', async () => {
    const sql = await diffMigrationsToSchema();
    assert.equal(
      sql,
      null,
      `schema.prisma has changes no migration holds; run npm run db:diff -- <name>:\n${sql}`,
    );
  });

  it('returns the SQL of a schema change', async () => {
    const schemaPath = join(dir, 'schema.prisma');
    const schema = await readFile(DEFAULT_SCHEMA_PATH, 'utf8');
    await writeFile(schemaPath, `${schema}\nmodel DiffProbe {\n  id Int @id\n  label String?\n}\n`);
    const sql = await diffMigrationsToSchema({ schemaPath });
    assert.match(sql ?? '', /CREATE TABLE "DiffProbe" \(\s*"id" INTEGER NOT NULL,\s*"label" TEXT,/);
    assert.doesNotMatch(sql ?? '', /"tenants"/); // only the change, not the whole schema again
  });
});
