// Recognises "the database could not serve this" among the errors that reach the error handler,
// whichever way they came: raw `pg` errors from the hot-path SQL (sqlOf), pg's own client-side
// errors (no SQLSTATE, only a message), errors @prisma/adapter-pg did not recognise (rethrown as
// they were), and Prisma's known request errors, which carry the driver's error under
// `meta.driverAdapterError.cause` (P2010 for raw queries keeps the SQLSTATE only there). Such a
// failure is the database's state, not a bug: it becomes 503 database_unavailable (API.md §7),
// and the log says so once per few seconds instead of once per request (DatabaseFailureLog).
import type { Logger } from 'pino';
import { LogThrottle } from '../observability/log-throttle.js';

export type DatabaseFailureKind =
  /** Refused, reset, terminated, shutting down, starting up: no connection to be had. */
  | 'unreachable'
  /** A statement, a pool checkout or a connection attempt ran out of time (a frozen or overloaded server). */
  | 'timeout'
  /** A row or table lock held elsewhere was not released within lock_timeout. */
  | 'lock_timeout'
  /** The server refuses more connections or lacks resources. */
  | 'overloaded';

const SQLSTATES: Record<string, DatabaseFailureKind> = {
  '57P01': 'unreachable', // admin_shutdown (pg_ctl stop, pg_terminate_backend)
  '57P02': 'unreachable', // crash_shutdown
  '57P03': 'unreachable', // cannot_connect_now (starting up, shutting down, recovery)
  '57P05': 'unreachable', // idle_session_timeout
  '25P03': 'timeout', // idle_in_transaction_session_timeout
  '57014': 'timeout', // query_canceled: statement_timeout (or a cancel request)
  '55P03': 'lock_timeout', // lock_not_available: lock_timeout, NOWAIT
  '53300': 'overloaded', // too_many_connections
  '53000': 'overloaded', // insufficient_resources
  '53100': 'overloaded', // disk_full
  '53200': 'overloaded', // out_of_memory
};

const SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
]);

// Prisma's codes for the same conditions (https://www.prisma.io/docs/orm/reference/error-reference).
const PRISMA_CODES: Record<string, DatabaseFailureKind> = {
  P1001: 'unreachable', // can't reach database server
  P1002: 'timeout', // reached but timed out
  P1008: 'timeout', // operation timed out (adapter SocketTimeout)
  P1017: 'unreachable', // server closed the connection (adapter ConnectionClosed)
  P2024: 'timeout', // timed out fetching a connection from the pool
  P2037: 'overloaded', // too many database connections
};

// @prisma/adapter-pg's DriverAdapterError kinds.
const ADAPTER_KINDS: Record<string, DatabaseFailureKind> = {
  DatabaseNotReachable: 'unreachable',
  ConnectionClosed: 'unreachable',
  SocketTimeout: 'timeout',
  TooManyConnections: 'overloaded',
};

// pg and pg-pool raise these without any code.
const MESSAGES: [RegExp, DatabaseFailureKind][] = [
  [/^Query read timeout$/, 'timeout'], // query_timeout (client side: the server did not answer)
  [/^timeout exceeded when trying to connect$/, 'timeout'], // pool checkout (connectionTimeoutMillis)
  [/^Connection terminated due to connection timeout$/, 'timeout'], // connect (connectionTimeoutMillis)
  [/^Connection terminated( unexpectedly)?$/, 'unreachable'],
  [/^Client has encountered a connection error and is not queryable$/, 'unreachable'],
  [/^Client was closed and is not queryable$/, 'unreachable'],
  [/^The server does not support SSL connections$/, 'unreachable'],
];

interface ErrorLike {
  code?: unknown;
  kind?: unknown;
  originalCode?: unknown;
  message?: unknown;
  cause?: unknown;
  meta?: { driverAdapterError?: unknown };
}

function classifyOne(e: ErrorLike): DatabaseFailureKind | undefined {
  const code = typeof e.code === 'string' ? e.code : undefined;
  if (code) {
    const known = SQLSTATES[code] ?? PRISMA_CODES[code];
    if (known) return known;
    if (SOCKET_CODES.has(code)) return 'unreachable';
    if (code.startsWith('08')) return 'unreachable'; // connection_exception class
    // Prisma's transaction API: the transaction could not start in time (maxWait) or expired (timeout).
    if (code === 'P2028' && /time|expired/i.test(String(e.message))) return 'timeout';
  }
  if (typeof e.originalCode === 'string' && SQLSTATES[e.originalCode]) return SQLSTATES[e.originalCode];
  if (typeof e.kind === 'string' && ADAPTER_KINDS[e.kind]) return ADAPTER_KINDS[e.kind];
  if (typeof e.message === 'string' && !code) {
    for (const [re, kind] of MESSAGES) if (re.test(e.message)) return kind;
  }
  return undefined;
}

/** What kind of database unavailability `err` reports, or undefined if it is something else. */
export function classifyDatabaseError(err: unknown): DatabaseFailureKind | undefined {
  const queue: unknown[] = [err];
  // Bounded walk over cause chains and Prisma's nested driver error.
  for (let seen = 0; queue.length > 0 && seen < 12; seen += 1) {
    const e = queue.shift();
    if (!e || typeof e !== 'object') continue;
    const found = classifyOne(e as ErrorLike);
    if (found) return found;
    const { cause, meta } = e as ErrorLike;
    if (cause) queue.push(cause);
    if (meta?.driverAdapterError) queue.push(meta.driverAdapterError);
  }
  return undefined;
}

export interface DatabaseFailureLogOptions {
  /** At most one line per kind this often while failures go on. Default 5000 ms. */
  intervalMs?: number;
  now?: () => number;
}

/**
 * Logs database failures at a bounded rate: the first failure of a kind at once, then at most one
 * line per interval with the number of failures since the last line, and one line when the
 * database answers again. Per-request lines would bury everything else (one stack trace per
 * request during an outage) and cost CPU when the service can least afford it.
 */
export class DatabaseFailureLog {
  readonly #logger: Logger;
  readonly #now: () => number;
  readonly #throttle: LogThrottle<DatabaseFailureKind>;
  #since: number | undefined;

  constructor(logger: Logger, opts: DatabaseFailureLogOptions = {}) {
    this.#logger = logger;
    this.#now = opts.now ?? Date.now;
    this.#throttle = new LogThrottle(opts.intervalMs ?? 5000, this.#now);
  }

  /** True between the first failure and the next recovery. */
  get failing(): boolean {
    return this.#since !== undefined;
  }

  record(kind: DatabaseFailureKind, err: unknown): void {
    // A lock held elsewhere is contention, not an outage: throttled, but no "available again" line.
    if (kind !== 'lock_timeout') this.#since ??= this.#now();
    const admitted = this.#throttle.admit(kind);
    if (!admitted) return;
    const e = err as { message?: unknown; code?: unknown } | null;
    const { repeat } = admitted;
    // The message and code only: no stack, no query text or parameters.
    const detail = {
      kind,
      error: {
        message: String(e?.message ?? err)
          .split('\n')
          .filter(Boolean)
          .at(-1),
        code: e?.code,
      },
      ...(repeat ? { failuresSinceLastLine: repeat.heldBack + 1, failures: repeat.total } : {}),
    };
    const level = kind === 'lock_timeout' ? 'warn' : 'error';
    this.#logger[level](
      detail,
      repeat ? `database still unavailable (${kind})` : `database unavailable (${kind})`,
    );
  }

  /** The database answered (a new connection was opened): ends an outage, with one summary line. */
  recovered(): void {
    if (this.#since === undefined) return;
    const failures = this.#throttle.totals();
    this.#logger.info({ failures, unavailableForMs: this.#now() - this.#since }, 'database available again');
    this.#since = undefined;
    this.#throttle.reset();
  }
}
