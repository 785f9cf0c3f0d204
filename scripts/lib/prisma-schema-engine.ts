// Prisma's own schema engine, compiled to WebAssembly (@prisma/schema-engine-wasm, a dev
// dependency), talking to the database through @prisma/adapter-pg. Development only: `npm run
// db:diff` computes the next migration with it, and test/db/migrator.test.ts uses its
// `applyMigrations` as the reference that src/db/migrator.ts must stay compatible with. The service
// itself never loads it (a production install has no dev dependencies; docs/adr/0002).
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PrismaPg } from '@prisma/adapter-pg';
import {
  bindMigrationAwareSqlAdapterFactory,
  ColumnTypeEnum,
  type SqlQueryable,
} from '@prisma/driver-adapter-utils';
import type { MigrationList, SchemaEngine } from '@prisma/schema-engine-wasm/schema_engine_bg';
import pg from 'pg';
import { DEFAULT_MIGRATIONS_DIR, loadMigrations } from '../../src/db/migrator.js';

type EngineRuntime = typeof import('@prisma/schema-engine-wasm/schema_engine_bg');

const projectRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DEFAULT_SCHEMA_PATH = join(projectRoot, 'prisma', 'schema.prisma');
const NO_FILTERS = { externalTables: [], externalEnums: [] };

// The package is a bundler-target wasm-bindgen build: its entry imports the .wasm as an ES module,
// which Node cannot do, so the glue module is wired to a hand-instantiated module once per process.
// The project compiles without DOM types and @types/node 20 does not declare WebAssembly.
interface WasmApi {
  instantiate(
    bytes: Uint8Array,
    imports: object,
  ): Promise<{ instance: { exports: Record<string, unknown> } }>;
  RuntimeError: new () => Error;
}
const wasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
let runtimeReady: Promise<EngineRuntime> | undefined;
// A Rust panic inside the engine reports its message here just before the wasm traps (the Prisma CLI
// installs the same hook). The trap often escapes as an uncaught "RuntimeError: unreachable" from the
// engine's own task queue, so the message also goes to stderr: it is the only clue to what failed
// (the wasm instance is unusable afterwards).
const panics = {
  message: '',
  set_message(msg: string) {
    this.message = msg;
    process.stderr.write(`schema engine panicked: ${msg}\n`);
  },
};
function withPanicMessage(err: unknown): unknown {
  if (!(err instanceof wasmApi.RuntimeError) || !panics.message) return err;
  const message = panics.message;
  panics.message = '';
  return new Error(`schema engine panicked: ${message}`, { cause: err });
}
// The engine arms timeouts (e.g. 10 s for its advisory lock) and never clears them, which kept the
// process alive for 10 s after every migration. Unref'd, they still fire, but do not hold the process
// open; while the engine works, its database socket does.
function withUnrefTimers(engineRuntime: EngineRuntime): Record<string, unknown> {
  const imports: Record<string, unknown> = { ...engineRuntime };
  for (const [name, fn] of Object.entries(engineRuntime)) {
    if (!name.startsWith('__wbg_setTimeout_')) continue;
    imports[name] = (...args: unknown[]) => {
      const timer = (fn as (...a: unknown[]) => unknown)(...args);
      (timer as { unref?: () => void } | undefined)?.unref?.();
      return timer;
    };
  }
  return imports;
}
// Loaded on first use only: the JS glue and a 5 MB WebAssembly module.
function loadEngineRuntime(): Promise<EngineRuntime> {
  (globalThis as { PRISMA_WASM_PANIC_REGISTRY?: typeof panics }).PRISMA_WASM_PANIC_REGISTRY ??= panics;
  runtimeReady ??= (async () => {
    const engineRuntime = await import('@prisma/schema-engine-wasm/schema_engine_bg');
    const glue = createRequire(import.meta.url).resolve('@prisma/schema-engine-wasm/schema_engine_bg');
    const bytes = await readFile(glue.replace(/\.js$/, '.wasm'));
    const { instance } = await wasmApi.instantiate(bytes, {
      './schema_engine_bg.js': withUnrefTimers(engineRuntime),
    });
    engineRuntime.__wbg_set_wasm(instance.exports);
    (instance.exports.__wbindgen_start as () => void)();
    return engineRuntime;
  })();
  runtimeReady.catch(() => {
    runtimeReady = undefined; // let a later call retry instead of caching the failure
  });
  return runtimeReady;
}

// adapter-pg has no mapping for Postgres' internal one-byte "char" type (OID 18) and rejects such
// columns, yet the engine's pg_catalog introspection (needed by diff) reads e.g. pg_constraint.contype
// as a Character column. The pg client relabels such columns text and marks their name; the adapter
// wrapper below removes the mark and reports the column as Character, as the engine expects.
const CHAR_MARK = '\u0000char\u0000';
class CatalogCharClient extends pg.Client {
  constructor(config?: string | pg.ClientConfig) {
    super(config);
    this.connection.prependListener('rowDescription', (msg: { fields: pg.FieldDef[] }) => {
      for (const field of msg.fields) {
        if (field.dataTypeID !== 18) continue;
        field.dataTypeID = 25;
        field.name = CHAR_MARK + field.name;
      }
    });
  }
}
function restoreCharColumns<Q extends SqlQueryable>(queryable: Q): Q {
  const queryRaw = queryable.queryRaw.bind(queryable);
  queryable.queryRaw = async (query) => {
    const result = await queryRaw(query);
    result.columnNames.forEach((name, i) => {
      if (!name.startsWith(CHAR_MARK)) return;
      result.columnNames[i] = name.slice(CHAR_MARK.length);
      result.columnTypes[i] = ColumnTypeEnum.Character;
    });
    return result;
  };
  return queryable;
}
function catalogCharAwareFactory(pool: pg.Pool): PrismaPg {
  const factory = new PrismaPg(pool);
  const connect = factory.connect.bind(factory);
  factory.connect = async () => {
    const adapter = restoreCharColumns(await connect());
    const startTransaction = adapter.startTransaction.bind(adapter);
    adapter.startTransaction = async (isolationLevel) =>
      restoreCharColumns(await startTransaction(isolationLevel));
    return adapter;
  };
  return factory;
}

async function withEngine<T>(connectionString: string, fn: (engine: SchemaEngine) => Promise<T>): Promise<T> {
  const runtime = await loadEngineRuntime();
  // Our own pool so it can be ended afterwards (a pool left open keeps the process alive). One
  // connection: the engine's session-level advisory lock must be taken and released on the same one.
  const pool = new pg.Pool({ connectionString, max: 1, Client: CatalogCharClient });
  pool.on('error', () => {}); // idle-client errors surface on the next query instead of crashing
  try {
    const adapter = bindMigrationAwareSqlAdapterFactory(catalogCharAwareFactory(pool));
    const engine = await runtime.SchemaEngine.new({ datamodels: undefined }, () => {}, adapter);
    try {
      return await fn(engine);
    } catch (err) {
      throw withPanicMessage(err);
    } finally {
      engine.free();
    }
  } finally {
    await pool.end();
  }
}

// The migrations folder as the Prisma CLI hands it to the engine.
async function migrationsListOf(migrationsDir: string): Promise<MigrationList> {
  const lockfile = 'migration_lock.toml';
  const lockContent = await readFile(join(migrationsDir, lockfile), 'utf8').catch(() => null);
  const migrations = await loadMigrations(migrationsDir);
  return {
    baseDir: migrationsDir,
    lockfile: { path: lockfile, content: lockContent },
    shadowDbInitScript: '',
    migrationDirectories: migrations.map((m) => ({
      path: m.name,
      migrationFile: { path: 'migration.sql', content: { tag: 'ok' as const, value: m.sql } },
    })),
  };
}

/** `prisma migrate deploy` itself, through the engine: the reference for src/db/migrator.ts. */
export async function applyMigrationsWithEngine(
  connectionString: string,
  opts?: { migrationsDir?: string },
): Promise<{ applied: string[] }> {
  const migrationsList = await migrationsListOf(opts?.migrationsDir ?? DEFAULT_MIGRATIONS_DIR);
  const out = await withEngine(connectionString, (engine) =>
    engine.applyMigrations({ migrationsList, filters: NO_FILTERS }),
  );
  return { applied: out.appliedMigrationNames };
}

// True when a generated script has no statements (the engine then emits only a comment).
export function isEmptyMigration(sql: string): boolean {
  return sql
    .split('\n')
    .map((line) => line.trim())
    .every((line) => line === '' || line.startsWith('--'));
}

// The SQL that takes the database from the state the existing migrations produce to the Prisma
// schema, or null when there is nothing to do. The wasm engine cannot diff from a migrations folder
// without a shadow database (which pglite-socket cannot provide: it serves one database), so the
// migrations are replayed into a throwaway in-memory PGlite and that database is diffed.
export async function diffMigrationsToSchema(opts?: {
  migrationsDir?: string;
  schemaPath?: string;
}): Promise<string | null> {
  const schemaPath = opts?.schemaPath ?? DEFAULT_SCHEMA_PATH;
  const files = [{ path: schemaPath, content: await readFile(schemaPath, 'utf8') }];
  const { startInMemoryPostgres } = await import('../../src/db/embedded-postgres.js');
  const scratch = await startInMemoryPostgres();
  try {
    await applyMigrationsWithEngine(scratch.url, { migrationsDir: opts?.migrationsDir });
    const result = await withEngine(scratch.url, (engine) =>
      engine.diff({
        from: { tag: 'schemaDatasource', files, configDir: dirname(schemaPath) },
        to: { tag: 'schemaDatamodel', files },
        script: true,
        exitCode: null,
        filters: NO_FILTERS,
      }),
    );
    const sql = result.stdout ?? '';
    return isEmptyMigration(sql) ? null : sql;
  } finally {
    await scratch.stop();
  }
}
