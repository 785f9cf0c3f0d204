// Renews OAuth2 tokens ahead of expiry. Each sweep walks the due secrets by cursor
// (refresh_due_at, id), claiming only as many as it has free slots so a claim never waits in a queue,
// and runs at most `concurrency` refreshes at once. Every secret goes through the same refresh
// service as POST …/refresh, so the worker and an on-demand refresh never both call the provider.
// One secret's failure is logged and postponed; it never stops the sweep.
import type { Logger } from 'pino';
import { DecryptionError } from '../crypto/envelope.js';
import { isMissingKey, type MissingKeyReporter, missingKeyReporter } from '../crypto/missing-key.js';
import { DatabaseFailureLog } from '../db/database-failures.js';
import { SweepLoop } from '../db/sweep-loop.js';
import { CoordinationError } from './refresh-lease.js';
import { BACKOFF_MAX_MS, backoffDelayMs } from './refresh-policy.js';
import type { RefreshService } from './refresh-service.js';
import type { Claim, RefreshStore } from './refresh-store.js';

export interface RefreshWorkerOptions {
  store: RefreshStore;
  service: RefreshService;
  logger: Logger;
  concurrency: number;
  pollMs: number;
  /** How long a claim keeps other workers off a secret; must exceed the lease TTL. */
  claimTtlMs: number;
  /** A sweep stops claiming after this long and the next one starts from the top. */
  sweepBudgetMs?: number;
  /** The process's one log of database outages (composition-root.ts): one line each way per outage. */
  databaseFailures?: DatabaseFailureLog;
}

/**
 * How long a secret sealed with a key this process lacks is left alone. Short: during a key
 * rotation other processes may already have the key, and the secret must not go unrenewed until it
 * expires; long enough that this process does not spin on it.
 */
export const MISSING_KEY_RETRY_MS = 30_000;

export interface SweepStats {
  claimed: number;
  refreshed: number;
  failed: number;
  /** The sweep stopped at its time budget with secrets possibly still due. */
  outOfTime: boolean;
}

export class RefreshWorker {
  readonly #opts: RefreshWorkerOptions;
  readonly #log: Logger;
  readonly #reportMissingKey: MissingKeyReporter;
  readonly #loop: SweepLoop;

  constructor(opts: RefreshWorkerOptions) {
    this.#opts = opts;
    this.#log = opts.logger.child({ component: 'refresh-worker' });
    this.#reportMissingKey = missingKeyReporter(this.#log);
    this.#loop = new SweepLoop({
      pollMs: opts.pollMs,
      log: this.#log,
      // A sweep fails every poll while the database is down: logged at a bounded rate, not a stack each time.
      databaseFailures: opts.databaseFailures ?? new DatabaseFailureLog(this.#log),
      failureMessage: 'refresh sweep failed',
      // A sweep that hit its time budget left due secrets behind: go on at once, no poll pause.
      sweep: async () => (await this.sweep()).outOfTime,
    });
  }

  start(): void {
    if (!this.#loop.start()) return;
    this.#log.info(
      { concurrency: this.#opts.concurrency, pollMs: this.#opts.pollMs },
      'refresh worker started',
    );
  }

  /** Stops claiming, lets the refreshes already running finish, then resolves. */
  async stop(): Promise<void> {
    if (await this.#loop.stop()) this.#log.info('refresh worker stopped');
  }

  /** One pass over the secrets due now. Public for tests and for a one-shot run. */
  async sweep(): Promise<SweepStats> {
    const { store, concurrency } = this.#opts;
    const stats: SweepStats = { claimed: 0, refreshed: 0, failed: 0, outOfTime: false };
    const deadline = Date.now() + (this.#opts.sweepBudgetMs ?? 60_000);
    const active = new Set<Promise<void>>();
    let cursor: { dueAt: Date; id: string } | undefined;
    try {
      while (Date.now() < deadline) {
        // Checked each round: a stopping worker claims nothing more but still finishes what it holds.
        if (this.#loop.stopping) break;
        const free = concurrency - active.size;
        if (free <= 0) {
          await Promise.race(active);
          continue;
        }
        const claims = await store.claimDue({ limit: free, claimTtlMs: this.#opts.claimTtlMs, cursor });
        if (claims.length === 0) return stats;
        const last = claims[claims.length - 1] as Claim;
        cursor = { dueAt: last.dueAt, id: last.id };
        stats.claimed += claims.length;
        for (const claim of claims) {
          const task = this.#renew(claim, stats).finally(() => active.delete(task));
          active.add(task);
        }
      }
      stats.outOfTime = !this.#loop.stopping;
    } finally {
      await Promise.allSettled(active);
    }
    return stats;
  }

  async #renew(claim: Claim, stats: SweepStats): Promise<void> {
    try {
      const { outcome } = await this.#opts.service.refresh(claim.id, {
        trigger: 'worker',
        startedAt: new Date(),
      });
      if (outcome.kind === 'refreshed') stats.refreshed += 1;
      else if (outcome.kind === 'already_renewed' || outcome.kind === 'superseded')
        await this.#opts.store.releaseClaim(claim);
      else if (outcome.kind === 'failed' || outcome.kind === 'rejected') stats.failed += 1;
    } catch (err) {
      let retryInMs: number;
      if (isMissingKey(err)) {
        // A configuration problem of this process (a key rotation under way), not a failure of the
        // secret: it stays as it is, uncounted, and is offered again soon, to any process.
        this.#reportMissingKey(
          err,
          { authSecretId: claim.id, retryInMs: MISSING_KEY_RETRY_MS },
          'auth-secret skipped: sealed with an encryption key this process does not have',
        );
        retryInMs = MISSING_KEY_RETRY_MS;
      } else if (err instanceof CoordinationError) {
        // Redis is down: its connection logs that once; one line per secret and sweep would flood.
        retryInMs = backoffDelayMs(1);
      } else {
        stats.failed += 1;
        // e.g. a ciphertext that does not belong to its row: retried rarely, not in a loop.
        this.#log.error({ err, authSecretId: claim.id }, 'refresh of one auth-secret failed unexpectedly');
        retryInMs = err instanceof DecryptionError ? BACKOFF_MAX_MS : backoffDelayMs(1);
      }
      await this.#opts.store
        .deferClaim(claim, new Date(Date.now() + retryInMs))
        .catch((e: unknown) =>
          this.#log.error({ err: e, authSecretId: claim.id }, 'could not postpone a claim'),
        );
    }
  }
}
