import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { type EmbeddedPostgres, startEmbeddedPostgres } from '../../src/db/embedded-postgres.js';
import {
  applyMigrations,
  DEFAULT_MIGRATIONS_DIR,
  DEFAULT_SCHEMA_PATH,
  diffMigrationsToSchema,
  loadMigrationsList,
  nothingToApply,
} from '../../src/db/migrator.js';

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
  ['id', 'character varying', 'NO'],
  ['checksum', 'character varying', 'NO'],
  ['finished_at', 'timestamp with time zone', 'YES'],
  ['migration_name', 'character varying', 'NO'],
  ['logs', 'text', 'YES'],
  ['rolled_back_at', 'timestamp with time zone', 'YES'],
  ['started_at', 'timestamp with time zone', 'NO'],
  ['applied_steps_count', 'integer', 'NO'],
];

function behavesLikeMigrateDeploy(url: () => string): void {
  it('applies every migration once; a second run applies nothing', async () => {
    const list = await loadMigrationsList(DEFAULT_MIGRATIONS_DIR);
    const expected = list.migrationDirectories.map((d) => d.path);
    assert.ok(expected.length > 0);
    assert.equal(await nothingToApply(url(), list), false, 'a fresh database has everything to apply');
    assert.deepEqual(await applyMigrations(url()), { applied: expected });
    assert.equal(await nothingToApply(url(), list), true, 'the second run can skip the engine');
    assert.deepEqual(await applyMigrations(url()), { applied: [] });
  });

  it('records _prisma_migrations like prisma migrate deploy', async () => {
    const { migrationDirectories } = await loadMigrationsList(DEFAULT_MIGRATIONS_DIR);
    await withClient(url(), async (c) => {
      const columns = await c.query(
        `SELECT column_name, data_type, is_nullable FROM information_schema.columns
         WHERE table_name = '_prisma_migrations' ORDER BY ordinal_position`,
      );
      assert.deepEqual(
        columns.rows.map((r) => [r.column_name, r.data_type, r.is_nullable]),
        PRISMA_MIGRATIONS_COLUMNS,
      );
      const rows = await c.query(
        `SELECT migration_name, checksum, finished_at IS NOT NULL AS finished, rolled_back_at, logs,
                applied_steps_count FROM _prisma_migrations ORDER BY started_at, migration_name`,
      );
      const expected = migrationDirectories.map((d) => {
        const sql = d.migrationFile.content.tag === 'ok' ? d.migrationFile.content.value : '';
        return {
          migration_name: d.path,
          checksum: createHash('sha256').update(sql).digest('hex'),
          finished: true,
          rolled_back_at: null,
          logs: null,
          applied_steps_count: 1,
        };
      });
      assert.deepEqual(rows.rows, expected);
      const tables = await c.query(`SELECT to_regclass('public.auth_secrets') IS NOT NULL AS present`);
      assert.deepEqual(tables.rows, [{ present: true }]);
    });
  });

  it('leaves a failed migration to the engine, which refuses to go on', async () => {
    const list = await loadMigrationsList(DEFAULT_MIGRATIONS_DIR);
    await withClient(url(), (c) =>
      c.query(
        `INSERT INTO _prisma_migrations (id, checksum, migration_name, logs, applied_steps_count)
         VALUES ('failed-probe', 'x', '99999999999999_failed_probe', 'boom', 0)`,
      ),
    );
    try {
      assert.equal(await nothingToApply(url(), list), false);
      await assert.rejects(applyMigrations(url()), /99999999999999_failed_probe/);
    } finally {
      await withClient(url(), (c) => c.query(`DELETE FROM _prisma_migrations WHERE id = 'failed-probe'`));
    }
    assert.equal(await nothingToApply(url(), list), true);
  });

  it('applies a migration added later, and ignores rows of migrations not on disk', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'migrator-extra-'));
    try {
      await cp(DEFAULT_MIGRATIONS_DIR, dir, { recursive: true });
      await mkdir(join(dir, '99999999999999_probe'));
      await writeFile(
        join(dir, '99999999999999_probe', 'migration.sql'),
        'CREATE TABLE migrator_probe (id INTEGER);\n',
      );
      const list = await loadMigrationsList(dir);
      assert.equal(await nothingToApply(url(), list), false);
      assert.deepEqual(await applyMigrations(url(), { migrationsDir: dir }), {
        applied: ['99999999999999_probe'],
      });
      assert.equal(await nothingToApply(url(), list), true);
      // The stock migrations alone: the extra row is no reason to run the engine (it ignores it too).
      assert.equal(await nothingToApply(url(), await loadMigrationsList(DEFAULT_MIGRATIONS_DIR)), true);
    } finally {
      await rm(dir, { recursive: true, force: true });
      await withClient(url(), async (c) => {
        await c.query('DROP TABLE IF EXISTS migrator_probe');
        await c.query(`DELETE FROM _prisma_migrations WHERE migration_name = '99999999999999_probe'`);
      });
    }
  });
}

describe('applyMigrations on embedded PGlite', function () {
  this.timeout(60_000);
  let dataDir: string;
  let server: EmbeddedPostgres | undefined;
  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'migrator-pglite-'));
    server = await startEmbeddedPostgres({ dataDir });
  });
  after(async () => {
    await server?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });
  behavesLikeMigrateDeploy(() => server?.url ?? '');
});

const serverUrl = process.env.TEST_DATABASE_URL;
(serverUrl ? describe : describe.skip)('applyMigrations on PostgreSQL (TEST_DATABASE_URL)', function () {
  this.timeout(60_000);
  const name = `migr_${randomBytes(6).toString('hex')}`;
  const url = new URL(serverUrl ?? 'postgresql://localhost/postgres');
  url.pathname = `/${name}`;
  before(async () => {
    await withClient(serverUrl ?? '', (c) => c.query(`CREATE DATABASE "${name}"`));
  });
  after(async () => {
    await withClient(serverUrl ?? '', (c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
  });
  behavesLikeMigrateDeploy(() => url.toString());
});

describe('diffMigrationsToSchema', function () {
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
