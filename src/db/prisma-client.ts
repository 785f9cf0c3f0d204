// The Prisma Client over @prisma/adapter-pg (no native query engine) and, sharing its `pg` pool,
// a plain SQL client for the few hot-path queries where Prisma's per-query overhead showed up in
// the benchmark (authentication, the permission lookup, reading one secret, read audit events:
// docs/PERFORMANCE.md). One pool per process either way, so the connection budget is unchanged.
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaClient } from '../generated/prisma/client.js';

export interface PrismaClientOptions {
  url: string;
  // From openDatabase(): 1 against the embedded PGlite (see EMBEDDED_POOL_MAX), more against a server.
  poolMax: number;
  /**
   * The embedded PGlite serves every connection from one database session, so a statement a
   * closed connection prepared would still exist for the next one ("already exists"): there, the
   * hot-path statements are sent unnamed. Default false (a PostgreSQL server).
   */
  embedded?: boolean;
}

/**
 * A parameterised statement. With a `name`, `pg` prepares it once per connection and PostgreSQL
 * reuses its plan, saving a parse and plan per call (the hot-path statements take their arrays
 * whole, so one generic plan fits every call); without one, it is planned for each call's values.
 */
export interface Statement {
  name?: string;
  text: string;
  values: unknown[];
}

/** What the hot-path queries need of `pg`: statements in, rows as plain objects out. */
export interface Sql {
  query<Row extends object>(statement: Statement): Promise<{ rows: Row[] }>;
}

const pools = new WeakMap<PrismaClient, { pool: pg.Pool; sql: Sql }>();

export function createPrismaClient({ url, poolMax, embedded = false }: PrismaClientOptions): PrismaClient {
  const pool = new pg.Pool({ connectionString: url, max: poolMax });
  // An idle connection that dies (database restart) is dropped from the pool; the next query opens
  // a new one. Without a listener the pool's 'error' event would end the process.
  pool.on('error', () => {});
  // disposeExternalPool: $disconnect() ends the shared pool too.
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool, { disposeExternalPool: true }) });
  const sql: Sql = {
    // pool.query looked up per call, so a test can count the statements sent through it.
    query: (statement) =>
      pool.query(embedded ? { text: statement.text, values: statement.values } : statement) as never,
  };
  pools.set(prisma, { pool, sql });
  return prisma;
}

/**
 * The SQL client sharing `prisma`'s pool. Never use it inside a Prisma transaction: against the
 * embedded database the pool has one connection, which the transaction holds.
 */
export function sqlOf(prisma: PrismaClient): Sql {
  return registered(prisma).sql;
}

/** The `pg` pool under `prisma` and sqlOf(prisma) (tests count the statements sent through it). */
export function poolOf(prisma: PrismaClient): pg.Pool {
  return registered(prisma).pool;
}

function registered(prisma: PrismaClient) {
  const entry = pools.get(prisma);
  if (!entry) throw new Error('sqlOf: this PrismaClient was not made by createPrismaClient');
  return entry;
}
