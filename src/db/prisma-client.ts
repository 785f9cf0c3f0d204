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
  /** Bounds on every database wait (API.md §7); absent: unbounded, as pg and Prisma default. */
  timeouts?: DatabaseTimeouts;
}

/**
 * Every wait on the database, bounded so that a request ends before REQUEST_TIMEOUT_MS
 * (src/config/config.ts derives and checks them). Milliseconds.
 */
export interface DatabaseTimeouts {
  /** Opening a connection, and waiting for a free one in the pool (pg-pool applies it to both). */
  connectMs: number;
  /** statement_timeout on the server: it cancels the statement and the connection stays usable. */
  statementMs: number;
  /** lock_timeout on the server: a row lock held elsewhere is not waited for longer. */
  lockMs: number;
  /**
   * Client side (pg query_timeout), a little above statementMs: only a server that does not answer
   * at all (frozen, network gone) reaches it, and the server-side timeout cannot help there.
   */
  queryMs: number;
  /** A whole interactive transaction (Prisma's `timeout`); its start waits at most connectMs. */
  transactionMs: number;
  /** idle_in_transaction_session_timeout: the server ends a transaction its client abandoned. */
  idleInTransactionMs: number;
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

export function createPrismaClient({
  url,
  poolMax,
  embedded = false,
  timeouts,
}: PrismaClientOptions): PrismaClient {
  const pool = new pg.Pool({ connectionString: url, max: poolMax, ...poolTimeouts(timeouts, embedded) });
  // An idle connection that dies (database restart) is dropped from the pool; the next query opens
  // a new one. Without a listener the pool's 'error' event would end the process.
  pool.on('error', () => {});
  // A connection whose statement hit query_timeout still has that statement in flight (pg only
  // stops waiting for it): handed out again, its next statement would queue behind the one the
  // frozen server never answers. pg-pool drops a connection released with an error, but Prisma
  // releases a transaction's connection without one after its ROLLBACK, so close any connection
  // that comes back with a statement still running; the pool then sees it ending and removes it.
  pool.on('release', (err: Error | undefined, client: pg.PoolClient) => {
    if (!err && hasStatementInFlight(client)) client.end().catch(() => undefined);
  });
  // disposeExternalPool: $disconnect() ends the shared pool too.
  const prisma = new PrismaClient({
    adapter: new PrismaPg(pool, { disposeExternalPool: true }),
    ...(timeouts
      ? { transactionOptions: { maxWait: timeouts.connectMs, timeout: timeouts.transactionMs } }
      : {}),
  });
  const sql: Sql = {
    // pool.query looked up per call, so a test can count the statements sent through it.
    query: (statement) =>
      pool.query(embedded ? { text: statement.text, values: statement.values } : statement) as never,
  };
  pools.set(prisma, { pool, sql });
  return prisma;
}

function poolTimeouts(timeouts: DatabaseTimeouts | undefined, embedded: boolean): pg.PoolConfig {
  if (!timeouts) return {};
  const clientSide = { connectionTimeoutMillis: timeouts.connectMs, query_timeout: timeouts.queryMs };
  // The embedded PGlite is one session shared by every connection and runs in this process: a
  // statement there blocks the event loop (no server-side timeout could interrupt anything we
  // could not), a lock cannot be held by another session, and startup parameters are not applied
  // per connection. Only the client-side bounds apply there (waiting behind the one connection).
  if (embedded) return clientSide;
  return {
    ...clientSide,
    // Sent in the startup message: every connection of the pool carries them, no SET needed.
    statement_timeout: timeouts.statementMs,
    lock_timeout: timeouts.lockMs,
    idle_in_transaction_session_timeout: timeouts.idleInTransactionMs,
  };
}

// pg keeps the statement it stopped waiting for (query_timeout) as the connection's active one.
function hasStatementInFlight(client: pg.PoolClient): boolean {
  const internal = client as unknown as { _getActiveQuery?: () => unknown; activeQuery?: unknown };
  return Boolean(internal._getActiveQuery ? internal._getActiveQuery() : internal.activeQuery);
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
