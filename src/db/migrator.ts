// Applies prisma/migrations/*/migration.sql, as `prisma migrate deploy` does, with nothing but `pg`:
// the service must migrate at start in a production install that has neither the Prisma CLI nor its
// schema engine (docs/adr/0002). The history lives in Prisma's own `_prisma_migrations` table, with
// the same columns and the same values (checksum = sha256 of the file), so a database migrated by
// either tool can be taken over by the other.
//
// Unlike `migrate deploy`, each migration runs in one transaction together with its history row:
// a failing migration leaves neither half-applied schema nor a "failed" row behind, and the next
// start simply tries again. (Statements PostgreSQL refuses inside a transaction, such as
// CREATE INDEX CONCURRENTLY, therefore cannot appear in a migration.)
import { createHash, randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

// Two levels up from src/db/ (and from dist/db/ in the compiled build) is the project root.
const projectRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DEFAULT_MIGRATIONS_DIR = join(projectRoot, 'prisma', 'migrations');

// The key Prisma's schema engine takes (pg_advisory_lock) around `migrate deploy`: the same key
// keeps this runner and the stock CLI from migrating one database at the same time.
const PRISMA_ADVISORY_LOCK_KEY = 72707369;
const LOCK_WAIT_MS = 60_000;
const LOCK_RETRY_MS = 250;

// The table exactly as the schema engine creates it on PostgreSQL.
const CREATE_HISTORY_TABLE = `CREATE TABLE "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`;

export interface Migration {
  /** The folder name, `<UTC timestamp>_<name>`: what `_prisma_migrations.migration_name` holds. */
  name: string;
  sql: string;
  /** sha256 of the file's bytes, hex: what Prisma records as `checksum`. */
  checksum: string;
}

export interface MigrationOutcome {
  /** Applied by this run, in order. */
  applied: string[];
  /**
   * Applied earlier, but the file changed since (its checksum differs from the recorded one). Like
   * `migrate deploy`, the runner does not re-apply them; the caller warns.
   */
  modified: string[];
}

export class MigrationError extends Error {
  override name = 'MigrationError';
}

/** The migration folders in the order Prisma applies them (by name, which starts with a timestamp). */
export async function loadMigrations(migrationsDir: string = DEFAULT_MIGRATIONS_DIR): Promise<Migration[]> {
  const lock = await readFile(join(migrationsDir, 'migration_lock.toml'), 'utf8').catch(() => null);
  if (lock !== null && !/^\s*provider\s*=\s*"postgresql"\s*$/m.test(lock)) {
    throw new MigrationError(`${migrationsDir}/migration_lock.toml does not name provider "postgresql"`);
  }
  const entries = await readdir(migrationsDir, { withFileTypes: true }).catch(() => []);
  const names = entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort((a, b) => a.localeCompare(b));
  return Promise.all(
    names.map(async (name) => {
      const bytes = await readFile(join(migrationsDir, name, 'migration.sql'));
      return {
        name,
        sql: bytes.toString('utf8'),
        checksum: createHash('sha256').update(bytes).digest('hex'),
      };
    }),
  );
}

interface HistoryRow {
  name: string;
  checksum: string;
  finished: boolean;
  rolledBack: boolean;
}

/** `prisma migrate deploy`: applies the migrations that `_prisma_migrations` does not record yet. */
export async function applyMigrations(
  connectionString: string,
  opts?: { migrationsDir?: string },
): Promise<MigrationOutcome> {
  const migrations = await loadMigrations(opts?.migrationsDir);
  const client = new pg.Client({ connectionString });
  client.on('error', () => {}); // a dropped connection fails the next query instead of the process
  await client.connect();
  try {
    await takeAdvisoryLock(client);
    try {
      return await applyPending(client, migrations);
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [PRISMA_ADVISORY_LOCK_KEY]);
    }
  } finally {
    await client.end().catch(() => {});
  }
}

// Bounded: another process migrating the same database (a second server starting) is waited for,
// a lock that is never released (a stuck session) ends the start with a clear error.
async function takeAdvisoryLock(client: pg.Client): Promise<void> {
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [
      PRISMA_ADVISORY_LOCK_KEY,
    ]);
    if (rows[0]?.locked) return;
    if (Date.now() >= deadline) {
      throw new MigrationError(
        `another session has held the migration lock (pg_advisory_lock ${PRISMA_ADVISORY_LOCK_KEY}) for ${LOCK_WAIT_MS / 1000} s`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, LOCK_RETRY_MS));
  }
}

async function applyPending(client: pg.Client, migrations: Migration[]): Promise<MigrationOutcome> {
  // Read after taking the lock: a process that migrated meanwhile has recorded its rows.
  const history = await readHistory(client);
  const failed = history.filter((r) => !r.finished && !r.rolledBack).map((r) => r.name);
  if (failed.length > 0) {
    // Left by `prisma migrate deploy` (this runner rolls back instead). As Prisma (P3009): an operator
    // decides, e.g. `prisma migrate resolve --rolled-back <name>` after checking the database.
    throw new MigrationError(
      `_prisma_migrations records failed migrations: ${failed.join(', ')}. Resolve them (prisma migrate resolve) before starting.`,
    );
  }
  const recorded = new Map(history.filter((r) => !r.rolledBack).map((r) => [r.name, r.checksum]));
  const applied: string[] = [];
  const modified: string[] = [];
  for (const migration of migrations) {
    const checksum = recorded.get(migration.name);
    if (checksum !== undefined) {
      if (checksum !== migration.checksum) modified.push(migration.name);
      continue;
    }
    await applyOne(client, migration);
    applied.push(migration.name);
  }
  return { applied, modified };
}

async function readHistory(client: pg.Client): Promise<HistoryRow[]> {
  const { rows: found } = await client.query<{ present: boolean }>(
    `SELECT to_regclass('"_prisma_migrations"') IS NOT NULL AS present`,
  );
  if (!found[0]?.present) {
    await client.query(CREATE_HISTORY_TABLE);
    return [];
  }
  const { rows } = await client.query<HistoryRow>(
    `SELECT migration_name AS name, checksum, finished_at IS NOT NULL AS finished,
            rolled_back_at IS NOT NULL AS "rolledBack"
     FROM "_prisma_migrations" ORDER BY started_at`,
  );
  return rows;
}

async function applyOne(client: pg.Client, migration: Migration): Promise<void> {
  const id = randomUUID();
  await client.query('BEGIN');
  try {
    // The values `migrate deploy` records: started, then finished with one applied step.
    await client.query(
      `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, applied_steps_count)
       VALUES ($1, $2, $3, clock_timestamp(), 0)`,
      [id, migration.checksum, migration.name],
    );
    // The whole file as one simple-protocol query: PostgreSQL runs its statements in order, and
    // the file is never split (a `;` inside a string or a function body stays where it is).
    await client.query(migration.sql);
    await client.query(
      `UPDATE "_prisma_migrations" SET finished_at = clock_timestamp(), applied_steps_count = 1
       WHERE id = $1`,
      [id],
    );
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    const reason = err instanceof Error ? err.message : String(err);
    throw new MigrationError(`migration ${migration.name} failed and was rolled back: ${reason}`, {
      cause: err,
    });
  }
}
