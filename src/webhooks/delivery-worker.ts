// Delivers queued webhook events (API.md §11). A loop, not sweeps: whenever a slot is free it
// claims due deliveries (delivery-store.ts) and sends each in its own task, so a slow receiver never
// holds up the others. At most `concurrency` sends run at once in this process, and at most
// `perDestination` to one destination (scheme://host:port): claims skip destinations already at
// their limit, and a claim that would exceed it is given back unsent. Each attempt is signed afresh
// with the Standard Webhooks scheme (`standardwebhooks`); its webhook-id is the delivery's id, the
// same on every attempt, so receivers can drop duplicates.
import type { Logger } from 'pino';
import { Webhook } from 'standardwebhooks';
import type { KeyRing } from '../crypto/key-ring.js';
import { isMissingKey, missingKeyReporter } from '../crypto/missing-key.js';
import { DatabaseFailureLog } from '../db/database-failures.js';
import { SweepLoop } from '../db/sweep-loop.js';
import { openSigningSecret } from '../modules/webhooks/webhook-secret.js';
import type { ClaimedDelivery, DeliveryStore } from './delivery-store.js';
import { retryDelayMs } from './retry-schedule.js';
import type { WebhookMetrics } from './webhook-metrics.js';
import { type SendRequest, type SendResult, sendWebhook } from './webhook-sender.js';

export interface DeliveryWorkerOptions {
  store: DeliveryStore;
  keyRing: KeyRing;
  logger: Logger;
  metrics: WebhookMetrics;
  concurrency: number;
  perDestination: number;
  pollMs: number;
  /** The process's one log of database outages (composition-root.ts): one line each way per outage. */
  databaseFailures?: DatabaseFailureLog;
  timeoutMs: number;
  retryScheduleSeconds: readonly number[];
  allowLoopback: boolean;
}

/** A delivery sealed with a key this process lacks waits this long (another process may have it). */
export const MISSING_KEY_RETRY_MS = 30_000;

/** How long a claim keeps other workers off a delivery: one attempt's timeout plus a margin. */
export const claimTtlFor = (timeoutMs: number) => timeoutMs + 5_000;

export class DeliveryWorker {
  readonly #opts: DeliveryWorkerOptions;
  readonly #log: Logger;
  readonly #reportMissingKey: ReturnType<typeof missingKeyReporter>;
  readonly #active = new Set<Promise<void>>();
  readonly #perDestination = new Map<string, number>();
  readonly #loop: SweepLoop;

  constructor(opts: DeliveryWorkerOptions) {
    this.#opts = opts;
    this.#log = opts.logger.child({ component: 'webhook-worker' });
    this.#reportMissingKey = missingKeyReporter(this.#log);
    this.#loop = new SweepLoop({
      pollMs: opts.pollMs,
      log: this.#log,
      databaseFailures: opts.databaseFailures ?? new DatabaseFailureLog(this.#log),
      failureMessage: 'claiming webhook deliveries failed',
      // Every free slot was filled: more may be due, so claim again as soon as a slot frees up
      // (a finished send wakes the loop).
      sweep: async () => (await this.#claimAndSend()) === -1 && this.#active.size < this.#opts.concurrency,
    });
  }

  start(): void {
    if (!this.#loop.start()) return;
    this.#log.info(
      { concurrency: this.#opts.concurrency, perDestination: this.#opts.perDestination },
      'webhook delivery worker started',
    );
  }

  /** Stops claiming and waits for the sends in flight (each bounded by the timeout). */
  async stop(): Promise<void> {
    if (!(await this.#loop.stop())) return;
    await Promise.allSettled(this.#active);
    this.#log.info('webhook delivery worker stopped');
  }

  /** Claims and sends until nothing is due, then waits for the sends (tests, one-shot runs). */
  async drain(): Promise<void> {
    while ((await this.#claimAndSend()) > 0 || this.#active.size > 0) {
      if (this.#active.size > 0) await Promise.race(this.#active);
    }
  }

  /** How many were claimed; -1 when the claim filled every free slot (more may be waiting). */
  async #claimAndSend(): Promise<number> {
    const { store, concurrency, perDestination, timeoutMs } = this.#opts;
    const free = concurrency - this.#active.size;
    if (free <= 0) return 0;
    const busyDestinations = [...this.#perDestination].filter(([, n]) => n >= perDestination).map(([d]) => d);
    const claims = await store.claim({ limit: free, busyDestinations, claimTtlMs: claimTtlFor(timeoutMs) });
    const overflow: ClaimedDelivery[] = [];
    for (const claim of claims) {
      const running = this.#perDestination.get(claim.destination) ?? 0;
      if (running >= perDestination) {
        overflow.push(claim);
        continue;
      }
      this.#perDestination.set(claim.destination, running + 1);
      const task = this.#deliver(claim).finally(() => {
        this.#active.delete(task);
        const left = (this.#perDestination.get(claim.destination) ?? 1) - 1;
        if (left > 0) this.#perDestination.set(claim.destination, left);
        else this.#perDestination.delete(claim.destination);
        this.#loop.wake();
      });
      this.#active.add(task);
    }
    await store.release(overflow);
    return claims.length === free && overflow.length === 0 ? -1 : claims.length - overflow.length;
  }

  async #deliver(claim: ClaimedDelivery): Promise<void> {
    const { store, metrics, timeoutMs, allowLoopback } = this.#opts;
    const started = process.hrtime.bigint();
    let result: SendResult;
    try {
      result = await sendWebhook(this.#signed(claim), { timeoutMs, allowLoopback });
    } catch (err) {
      if (isMissingKey(err)) {
        // A configuration problem of this process, not the receiver's: no attempt is counted.
        this.#reportMissingKey(
          err,
          { webhookId: claim.webhookId },
          'webhook secret sealed with a missing key',
        );
        await store.release([claim], new Date(Date.now() + MISSING_KEY_RETRY_MS)).catch(() => {});
        return;
      }
      this.#log.error({ err, deliveryId: claim.id }, 'webhook delivery attempt failed unexpectedly');
      result = {
        outcome: 'internal_error',
        statusCode: null,
        error: 'The service could not send this delivery.',
      };
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    metrics.attempts.inc({ outcome: result.outcome });
    metrics.duration.observe({ outcome: result.outcome }, seconds);
    try {
      await this.#record(claim, result);
    } catch (err) {
      // The claim lapses and the delivery is sent again: at least once.
      this.#log.error({ err, deliveryId: claim.id }, 'could not record a webhook delivery attempt');
    }
  }

  #signed(claim: ClaimedDelivery): SendRequest {
    const secret = openSigningSecret(
      this.#opts.keyRing,
      { id: claim.webhookId, tenantId: claim.tenantId },
      claim.secretSealed,
    );
    const at = new Date();
    return {
      url: claim.url,
      body: claim.body,
      headers: {
        'content-type': 'application/json',
        'user-agent': 'auth-secret-service-webhooks/1',
        'webhook-id': claim.id,
        'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
        'webhook-signature': new Webhook(secret).sign(claim.id, at, claim.body),
      },
    };
  }

  async #record(claim: ClaimedDelivery, result: SendResult): Promise<void> {
    const { store, metrics, retryScheduleSeconds } = this.#opts;
    const attempt = claim.attempts + 1;
    const fields = { deliveryId: claim.id, webhookId: claim.webhookId, attempt, outcome: result.outcome };
    if (result.outcome === 'delivered') {
      if (await store.markDelivered(claim, result)) metrics.completed.inc({ status: 'delivered' });
      return;
    }
    const delay = retryDelayMs(retryScheduleSeconds, attempt);
    const retryAt = delay === null ? null : new Date(Date.now() + delay);
    const written = await store.markAttemptFailed(claim, result, retryAt);
    if (written && retryAt === null) {
      metrics.completed.inc({ status: 'failed' });
      this.#log.warn(
        { ...fields, statusCode: result.statusCode },
        'webhook delivery failed after its last attempt',
      );
    } else if (written) {
      this.#log.info(
        { ...fields, statusCode: result.statusCode, retryInMs: delay },
        'webhook delivery attempt failed',
      );
    }
  }
}
