// Purges auth-secrets that have been in the trash for DELETED_SECRET_RETENTION_DAYS (API.md §9.2).
// Runs beside the refresh worker (in `npm start` and in every `npm run worker`), every
// REFRESH_POLL_SECONDS. Each batch is one short transaction that locks its rows with
// FOR UPDATE SKIP LOCKED, so several processes sweep side by side and each secret is purged (and
// audited) exactly once; a sweep handles a bounded number of batches, the rest waits for the next.
import type { Logger } from 'pino';
import type { Config } from '../../../config/config.js';
import { DatabaseFailureLog } from '../../../db/database-failures.js';
import { SweepLoop } from '../../../db/sweep-loop.js';
import type { PrismaClient } from '../../../generated/prisma/client.js';
import { systemActor } from '../../audit-events/audit-recorder.js';
import { type AfterPurge, purgeSecrets } from './purge.js';
import { createTrashStore, type TrashStore } from './trash-store.js';

export interface TrashPurgerOptions {
  prisma: PrismaClient;
  trash: TrashStore;
  logger: Logger;
  retentionDays: number;
  pollMs: number;
  /** The process's one log of database outages (composition-root.ts): one line each way per outage. */
  databaseFailures?: DatabaseFailureLog;
  /** What follows each batch once it committed (token revocation, API.md §10.1). */
  afterPurge: AfterPurge;
  batchSize?: number;
  /** Batches per sweep at most; what is left is purged by the next sweep. */
  maxBatches?: number;
}

export class TrashPurger {
  readonly #opts: TrashPurgerOptions;
  readonly #log: Logger;
  readonly #loop: SweepLoop;

  constructor(opts: TrashPurgerOptions) {
    this.#opts = opts;
    this.#log = opts.logger.child({ component: 'trash-purger' });
    this.#loop = new SweepLoop({
      pollMs: opts.pollMs,
      log: this.#log,
      databaseFailures: opts.databaseFailures ?? new DatabaseFailureLog(this.#log),
      failureMessage: 'trash purge failed',
      sweep: async () => {
        await this.sweep();
        return false;
      },
    });
  }

  start(): void {
    if (this.#loop.start())
      this.#log.info({ retentionDays: this.#opts.retentionDays }, 'trash purger started');
  }

  /** Finishes the batch in progress, then resolves. */
  async stop(): Promise<void> {
    await this.#loop.stop();
  }

  /** One pass: purges due secrets in batches; returns how many this process purged. */
  async sweep(): Promise<number> {
    const { prisma, trash, retentionDays } = this.#opts;
    const batchSize = this.#opts.batchSize ?? 100;
    const maxBatches = this.#opts.maxBatches ?? 50;
    let total = 0;
    for (let batch = 0; batch < maxBatches && !this.#loop.stopping; batch++) {
      const purged = await prisma.$transaction(async (tx) => {
        const ids = await trash.lockDue(tx, retentionDays, batchSize);
        return purgeSecrets(tx, ids, 'retention', (s) => systemActor(s.tenantId));
      });
      total += purged.length;
      this.#opts.afterPurge(purged);
      for (const { secret } of purged)
        this.#log.info(
          { authSecretId: secret.id, workspaceId: secret.workspaceId },
          'auth-secret purged from the trash',
        );
      if (purged.length < batchSize) break;
    }
    return total;
  }
}

/** The purger of a process (server.ts through wireApplication, worker.ts), not started. */
export function createTrashPurger(parts: {
  prisma: PrismaClient;
  config: Config;
  logger: Logger;
  databaseFailures?: DatabaseFailureLog;
  afterPurge: AfterPurge;
}): TrashPurger {
  return new TrashPurger({
    prisma: parts.prisma,
    trash: createTrashStore(parts.prisma),
    logger: parts.logger,
    retentionDays: parts.config.deletedSecretRetentionDays,
    // Cheap when nothing is due (one indexed query), so it runs as often as the refresh sweep.
    pollMs: Math.round(parts.config.refreshPollSeconds * 1000),
    ...(parts.databaseFailures ? { databaseFailures: parts.databaseFailures } : {}),
    afterPurge: parts.afterPurge,
  });
}
