// Wires the refresher: store → metrics → provider client → coordinator → service → route and
// worker. The composition root calls this once per application; entry points start the worker.

import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Config } from '../config/config.js';
import type { KeyRing } from '../crypto/key-ring.js';
import type { DatabaseFailureLog } from '../db/database-failures.js';
import type { PrismaClient } from '../generated/prisma/client.js';
import { authClientReader } from '../modules/auth-clients/auth-client-reader.js';
import type { AuthSecretStore } from '../modules/auth-secrets/auth-secret-store.js';
import { type ClientCredentialsIssuer, createClientCredentialsIssuer } from './client-credentials.js';
import { createProviderClient, type ProviderClient } from './provider-client.js';
import { localCoordinator, redisCoordinator } from './refresh-lease.js';
import { createRefreshMetrics } from './refresh-metrics.js';
import { createRefreshService, type RefreshService } from './refresh-service.js';
import { createRefreshStore, type RefreshStore } from './refresh-store.js';
import { RefreshWorker, type RefreshWorkerOptions } from './refresh-worker.js';
import { createTokenRevoker, type TokenRevoker } from './token-revocation.js';

type WorkerTuning = Pick<RefreshWorkerOptions, 'concurrency' | 'pollMs' | 'claimTtlMs'>;

export interface RefreshModuleOptions {
  prisma: PrismaClient;
  /** The application's auth-secret store (built once by the entry point's wiring). */
  secrets: AuthSecretStore;
  config: Config;
  logger: Logger;
  keyRing: KeyRing;
  registry: Registry;
  /** Cross-process single flight; without it coordination is in-process only (one process). */
  redis?: Redis | undefined;
  /** The process's one log of database outages, shared with the request path and the other workers. */
  databaseFailures?: DatabaseFailureLog;
}

export interface RefreshModule {
  store: RefreshStore;
  service: RefreshService;
  /** The one provider client (outbound guard, timeout, size cap): connect sessions exchange codes with it. */
  provider: ProviderClient;
  /** First tokens of client-credentials secrets (API.md §10.3). */
  issueClientCredentials: ClientCredentialsIssuer;
  /** Revokes a removed secret's tokens at its client's revocation_url (API.md §10.1). */
  revocations: TokenRevoker;
  /** A worker for this process (not started); tests may override its tuning. */
  createWorker(tuning?: Partial<WorkerTuning>): RefreshWorker;
}

/**
 * Lease and claim lifetimes derived from the provider timeout: the lease outlives one provider
 * call plus the database work around it (and is extended while its owner works); a worker's
 * claim outlives the lease, so only a dead worker's claim lapses.
 */
export function refreshTimings(oauthTimeoutMs: number) {
  const leaseTtlMs = oauthTimeoutMs + 2000;
  return { leaseTtlMs, claimTtlMs: leaseTtlMs + 2000 };
}

export function createRefreshModule(opts: RefreshModuleOptions): RefreshModule {
  const { config, logger } = opts;
  const timings = refreshTimings(config.oauthTimeoutMs);
  const store = createRefreshStore(opts.prisma, opts.secrets);
  const metrics = createRefreshMetrics(opts.registry, () => store.countDue());
  const provider = createProviderClient({
    timeoutMs: config.oauthTimeoutMs,
    allowLoopback: config.oauthAllowLoopbackHttp,
    metrics,
  });
  const coordinator = opts.redis
    ? redisCoordinator(opts.redis, {
        leaseTtlMs: timings.leaseTtlMs,
        onLeaseLost: (id) => logger.warn({ authSecretId: id }, 'refresh lease lost while refreshing'),
      })
    : localCoordinator;
  const service = createRefreshService({
    store,
    provider,
    coordinator,
    keyRing: opts.keyRing,
    logger,
    metrics,
    aheadSeconds: config.refreshAheadSeconds,
    coalesceSeconds: config.refreshCoalesceSeconds,
  });
  return {
    store,
    service,
    provider,
    revocations: createTokenRevoker({ prisma: opts.prisma, provider, keyRing: opts.keyRing, logger }),
    issueClientCredentials: createClientCredentialsIssuer({
      clients: authClientReader(opts.prisma),
      provider,
      keyRing: opts.keyRing,
    }),
    createWorker: (tuning = {}) =>
      new RefreshWorker({
        store,
        service,
        logger,
        concurrency: config.refreshConcurrency,
        pollMs: Math.round(config.refreshPollSeconds * 1000),
        claimTtlMs: timings.claimTtlMs,
        ...(opts.databaseFailures ? { databaseFailures: opts.databaseFailures } : {}),
        ...tuning,
      }),
  };
}
