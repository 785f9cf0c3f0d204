// The one module that reads the environment. Everything else receives a typed Config.
// Values are validated against schemas/config.schema.json; every problem is reported at once.
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import type { DatabaseTimeouts } from '../db/prisma-client.js';

export interface Config {
  port: number;
  host: string;
  publicUrl: string | undefined;
  databaseUrl: string | undefined;
  databasePoolMax: number;
  /** Bounds on database waits, all below requestTimeoutMs (see databaseTimeoutsFor). */
  databaseTimeouts: DatabaseTimeouts;
  dataDir: string;
  redisUrl: string | undefined;
  encryptionKeys: string | undefined;
  oauthAllowLoopbackHttp: boolean;
  oauthTimeoutMs: number;
  /** How long a connect session's authorization URL can be completed (API.md §10.2: 10 minutes). */
  connectSessionTtlSeconds: number;
  refreshAheadSeconds: number;
  refreshConcurrency: number;
  refreshPollSeconds: number;
  /** Versions of each auth-secret's credentials kept (the newest), API.md §9.1. */
  secretVersionsKept: number;
  /** Days a deleted auth-secret stays in the trash before the worker purges it; 0: DELETE purges. */
  deletedSecretRetentionDays: number;
  bodyLimitBytes: number;
  requestTimeoutMs: number;
  shutdownTimeoutMs: number;
  /** node's server.headersTimeout (slow-header clients), capped at requestTimeoutMs. */
  headersTimeoutMs: number;
  /** node's server.keepAliveTimeout: longer than a load balancer's idle timeout (60 s is common). */
  keepAliveTimeoutMs: number;
  /** Requests per minute per API key / per client address; 0 disables that limit. */
  rateLimitPerKeyPerMinute: number;
  rateLimitPerIpPerMinute: number;
  /** Failed authentications per minute per client address before it is refused (429); 0 disables. */
  authFailureLimitPerIpPerMinute: number;
  /** Express 'trust proxy': hop count or trusted proxy addresses; undefined: the socket address is the client. */
  trustProxy: number | string[] | undefined;
  logLevel: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const schemaPath = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../schemas/config.schema.json',
);
const schema = JSON.parse(readFileSync(schemaPath, 'utf8')) as {
  properties: Record<string, { type: string }>;
};

// coerceTypes turns "3000" into 3000 and "true" into true, which is what env strings need.
const ajv = new Ajv({ allErrors: true, coerceTypes: true, useDefaults: true, strict: false });
addFormats.default(ajv);
const validate = ajv.compile(schema);

/** Reads and validates the variables this service knows; unknown variables are ignored. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const raw: Record<string, unknown> = {};
  for (const name of Object.keys(schema.properties)) {
    const value = env[name];
    // An empty assignment (`FOO=` in a .env file) means "not set".
    if (value !== undefined && value !== '') raw[name] = value;
  }
  if (!validate(raw)) {
    const problems = (validate.errors ?? []).map((e) => {
      const name = e.instancePath.replace(/^\//, '') || 'configuration';
      // Never echo the value: it may be a secret (ENCRYPTION_KEYS, a URL with a password).
      return `${name} ${e.message ?? 'is invalid'}`;
    });
    throw new ConfigError(problems);
  }
  // After validation with defaults every key of the schema with a default is present.
  // biome-ignore lint/suspicious/noExplicitAny: shape guaranteed by the schema just checked.
  const v = raw as Record<string, any>;
  const trustProxy = parseTrustProxy(v.TRUST_PROXY);
  if (trustProxy instanceof Error) throw new ConfigError([trustProxy.message]);
  const databaseTimeouts = databaseTimeoutsFor(v.REQUEST_TIMEOUT_MS, {
    connectMs: v.DATABASE_CONNECT_TIMEOUT_MS,
    statementMs: v.DATABASE_STATEMENT_TIMEOUT_MS,
    lockMs: v.DATABASE_LOCK_TIMEOUT_MS,
  });
  if (databaseTimeouts instanceof Error) throw new ConfigError([databaseTimeouts.message]);
  return {
    port: v.PORT,
    host: v.HOST,
    publicUrl: v.PUBLIC_URL?.replace(/\/+$/, ''),
    databaseUrl: v.DATABASE_URL,
    databasePoolMax: v.DATABASE_POOL_MAX,
    databaseTimeouts,
    dataDir: path.resolve(v.DATA_DIR),
    redisUrl: v.REDIS_URL,
    encryptionKeys: v.ENCRYPTION_KEYS,
    oauthAllowLoopbackHttp: v.OAUTH_ALLOW_LOOPBACK_HTTP,
    oauthTimeoutMs: v.OAUTH_TIMEOUT_MS,
    connectSessionTtlSeconds: v.CONNECT_SESSION_TTL_SECONDS,
    refreshAheadSeconds: v.REFRESH_AHEAD_SECONDS,
    refreshConcurrency: v.REFRESH_CONCURRENCY,
    refreshPollSeconds: v.REFRESH_POLL_SECONDS,
    secretVersionsKept: v.SECRET_VERSIONS_KEPT,
    deletedSecretRetentionDays: v.DELETED_SECRET_RETENTION_DAYS,
    bodyLimitBytes: v.BODY_LIMIT_BYTES,
    requestTimeoutMs: v.REQUEST_TIMEOUT_MS,
    shutdownTimeoutMs: v.SHUTDOWN_TIMEOUT_MS,
    headersTimeoutMs: v.HEADERS_TIMEOUT_MS,
    keepAliveTimeoutMs: v.KEEP_ALIVE_TIMEOUT_MS,
    rateLimitPerKeyPerMinute: v.RATE_LIMIT_PER_KEY_PER_MINUTE,
    rateLimitPerIpPerMinute: v.RATE_LIMIT_PER_IP_PER_MINUTE,
    authFailureLimitPerIpPerMinute: v.AUTH_FAILURE_LIMIT_PER_IP_PER_MINUTE,
    trustProxy,
    logLevel: v.LOG_LEVEL,
  };
}

/**
 * The database bounds for a request timeout (API.md §7: no request outlives REQUEST_TIMEOUT_MS).
 * A request fails at its first database error, so the longest a failing one spends on the database
 * is one pool checkout plus one statement that the server never answers: connect + statement +
 * the client-side margin must stay below the request timeout, leaving the error time to be sent.
 * Unset values are derived from the request timeout: a third of it for a statement, a quarter for
 * a checkout, a sixth for a lock wait (30 s → 10 s, 7.5 s, 5 s).
 */
export function databaseTimeoutsFor(
  requestTimeoutMs: number,
  given: { connectMs?: number; statementMs?: number; lockMs?: number } = {},
): DatabaseTimeouts | Error {
  const statementMs = given.statementMs ?? Math.floor(requestTimeoutMs / 3);
  const connectMs = given.connectMs ?? Math.floor(requestTimeoutMs / 4);
  const lockMs = given.lockMs ?? Math.min(statementMs, Math.floor(requestTimeoutMs / 6));
  // How much longer than statement_timeout the client waits before calling the server unresponsive:
  // long enough for the server's own cancellation (which keeps the connection) to arrive first.
  const marginMs = Math.min(1000, Math.floor(requestTimeoutMs / 10));
  const problems: string[] = [];
  if (connectMs + statementMs + marginMs > requestTimeoutMs) {
    problems.push(
      `DATABASE_CONNECT_TIMEOUT_MS (${connectMs}) + DATABASE_STATEMENT_TIMEOUT_MS (${statementMs}) must stay at least ${marginMs} ms below REQUEST_TIMEOUT_MS (${requestTimeoutMs}), so that a request the database cannot serve is answered in time`,
    );
  }
  if (lockMs > statementMs) {
    problems.push(
      `DATABASE_LOCK_TIMEOUT_MS (${lockMs}) must not exceed DATABASE_STATEMENT_TIMEOUT_MS (${statementMs})`,
    );
  }
  if (problems.length > 0) return new Error(problems.join('; '));
  return {
    connectMs,
    statementMs,
    lockMs,
    queryMs: statementMs + marginMs,
    // A transaction is several statements: bounded by what is left of the request after its checkout,
    // and never longer than Prisma's own default (5 s) holds locks.
    transactionMs: Math.min(5000, requestTimeoutMs - connectMs),
    // A transaction idle this long has no request waiting for it any more.
    idleInTransactionMs: requestTimeoutMs,
  };
}

const PROXY_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

// A hop count, or a list of proxies. "true" (trust every hop) is refused: any client could then
// choose its own address in X-Forwarded-For and escape the per-address limits.
function parseTrustProxy(value: string | undefined): number | string[] | undefined | Error {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d{1,2}$/.test(trimmed)) return Number(trimmed);
  const entries = trimmed.split(',').map((e) => e.trim());
  const valid = (entry: string) => {
    if (PROXY_NAMES.has(entry)) return true;
    const [address = '', bits, ...rest] = entry.split('/');
    const family = isIP(address);
    if (family === 0 || rest.length > 0) return false;
    return bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128));
  };
  if (entries.length === 0 || !entries.every(valid)) {
    return new Error(
      'TRUST_PROXY must be a hop count or a comma-separated list of addresses, CIDR subnets, loopback, linklocal or uniquelocal',
    );
  }
  return entries;
}
