// Database access of the delivery worker: claims, and the result of each attempt. Several worker
// processes claim side by side: a claim is one statement that takes due rows FOR UPDATE SKIP LOCKED
// and moves their next_attempt_at past a claim TTL (longer than one attempt can take), so no other
// worker sends them meanwhile, and a worker killed mid-send loses its claim when the TTL runs out
// (the delivery is sent again: at least once, never lost). Results are written only while the claim
// token is still the worker's own.
import { randomUUID } from 'node:crypto';
import type { PrismaClient } from '../generated/prisma/client.js';

export interface ClaimedDelivery {
  id: string;
  tenantId: string;
  webhookId: string;
  /** Attempts made before this one. */
  attempts: number;
  url: string;
  destination: string;
  secretSealed: Uint8Array;
  /** The event's payload as stored: the body of every attempt, byte for byte. */
  body: string;
  claimToken: string;
}

export interface AttemptResult {
  statusCode: number | null;
  error: string | null;
}

export function createDeliveryStore(prisma: PrismaClient) {
  return {
    /**
     * Up to `limit` due deliveries of enabled webhooks, oldest due first, skipping `busyDestinations`
     * (this process already sends as many to them as it may).
     */
    async claim(opts: {
      limit: number;
      busyDestinations: string[];
      claimTtlMs: number;
    }): Promise<ClaimedDelivery[]> {
      const token = randomUUID();
      const rows = await prisma.$queryRaw<
        {
          id: string;
          tenant_id: string;
          webhook_id: string;
          attempts: number;
          url: string;
          destination: string;
          secret_sealed: Uint8Array;
          body: string;
        }[]
      >`
        UPDATE webhook_deliveries AS d
        SET claim_token = ${token}::uuid,
            next_attempt_at = now() + ${opts.claimTtlMs}::int * interval '1 millisecond'
        FROM (
          SELECT d2.id, w.url, w.destination, w.secret_sealed, e.payload::text AS body
          FROM webhook_deliveries d2
          JOIN webhooks w ON w.id = d2.webhook_id
          JOIN webhook_events e ON e.id = d2.event_id
          WHERE d2.status = 'pending' AND d2.next_attempt_at <= now() AND w.enabled
            AND NOT (w.destination = ANY(${opts.busyDestinations}::text[]))
          ORDER BY d2.next_attempt_at, d2.id
          LIMIT ${opts.limit}::int
          FOR UPDATE OF d2 SKIP LOCKED
        ) AS due
        WHERE d.id = due.id
        RETURNING d.id::text, d.tenant_id::text, d.webhook_id::text, d.attempts, due.url, due.destination,
                  due.secret_sealed, due.body`;
      return rows.map((r) => ({
        id: r.id,
        tenantId: r.tenant_id,
        webhookId: r.webhook_id,
        attempts: r.attempts,
        url: r.url,
        destination: r.destination,
        secretSealed: r.secret_sealed,
        body: r.body,
        claimToken: token,
      }));
    },

    /** Gives a claim back unsent (no attempt counted), due again at `at`. */
    async release(claims: ClaimedDelivery[], at: Date = new Date()): Promise<void> {
      if (claims.length === 0) return;
      await prisma.$executeRaw`
        UPDATE webhook_deliveries SET claim_token = NULL, next_attempt_at = ${at}::timestamptz
        WHERE id = ANY(${claims.map((c) => c.id)}::uuid[]) AND claim_token = ${claims[0]?.claimToken}::uuid`;
    },

    async markDelivered(claim: ClaimedDelivery, result: AttemptResult): Promise<boolean> {
      const count = await prisma.$executeRaw`
        UPDATE webhook_deliveries
        SET status = 'delivered', attempts = attempts + 1, last_status_code = ${result.statusCode}::int,
            last_error = NULL, next_attempt_at = NULL, claim_token = NULL, delivered_at = now(), updated_at = now()
        WHERE id = ${claim.id}::uuid AND claim_token = ${claim.claimToken}::uuid`;
      return count === 1;
    },

    /** A failed attempt: due again at `retryAt`, or failed for good when it is null. */
    async markAttemptFailed(
      claim: ClaimedDelivery,
      result: AttemptResult,
      retryAt: Date | null,
    ): Promise<boolean> {
      const count = await prisma.$executeRaw`
        UPDATE webhook_deliveries
        SET status = ${retryAt === null ? 'failed' : 'pending'}::"WebhookDeliveryStatus",
            attempts = attempts + 1, last_status_code = ${result.statusCode}::int, last_error = ${result.error},
            next_attempt_at = ${retryAt}::timestamptz, claim_token = NULL, updated_at = now()
        WHERE id = ${claim.id}::uuid AND claim_token = ${claim.claimToken}::uuid`;
      return count === 1;
    },

    /** Deliveries not yet delivered or failed (the metrics gauge). */
    async countPending(): Promise<number> {
      const [row] = await prisma.$queryRaw<{ n: number }[]>`
        SELECT count(*)::int AS n FROM webhook_deliveries WHERE status = 'pending'`;
      return row?.n ?? 0;
    },
  };
}

export type DeliveryStore = ReturnType<typeof createDeliveryStore>;
