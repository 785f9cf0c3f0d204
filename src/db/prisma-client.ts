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
}

/** What the hot-path queries need of `pg`: parameterised text queries, rows as plain objects. */
export interface Sql {
  query<Row extends object>(text: string, values: unknown[]): Promise<{ rows: Row[] }>;
}

const pools = new WeakMap<PrismaClient, pg.Pool>();

export function createPrismaClient({ url, poolMax }: PrismaClientOptions): PrismaClient {
  const pool = new pg.Pool({ connectionString: url, max: poolMax });
  // An idle connection that dies (database restart) is dropped from the pool; the next query opens
  // a new one. Without a listener the pool's 'error' event would end the process.
  pool.on('error', () => {});
  // disposeExternalPool: $disconnect() ends the shared pool too.
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool, { disposeExternalPool: true }) });
  pools.set(prisma, pool);
  return prisma;
}

/**
 * The SQL client sharing `prisma`'s pool. Never use it inside a Prisma transaction: against the
 * embedded database the pool has one connection, which the transaction holds.
 */
export function sqlOf(prisma: PrismaClient): Sql {
  const pool = pools.get(prisma);
  if (!pool) throw new Error('sqlOf: this PrismaClient was not made by createPrismaClient');
  return pool;
}
