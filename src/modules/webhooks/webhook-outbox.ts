// The outbox of lifecycle events (API.md §11). An event is written with the transaction client of
// the change it reports, so both commit or neither does: no event without its change, no change
// without its event. It is fanned out right there, in the same statement: one webhook_deliveries row
// per webhook of the tenant that is enabled, subscribed to the type and not filtered to another
// workspace. An event nobody subscribed to is not stored at all. The worker (src/webhooks/) then
// delivers the rows; nothing is sent while the request that made the change is running.
//
// For features that report through webhooks (connect sessions, trash restore, …): call
// recordWebhookEvent(tx, …) inside the transaction of your change, with `data` built from an
// allow-list of ids, names, state and error text. Never put a credential, token or secret in it:
// the payload is sent as is to the subscriber's URL.
import { randomUUID7 } from '../../db/uuid7.js';
import type { Prisma, PrismaClient } from '../../generated/prisma/client.js';
import type { WebhookEventType } from './webhook-event-types.js';

type Db = Prisma.TransactionClient | PrismaClient;

/** A JSON value as the payload may hold it (ids, names, state, error text, counts). */
export type EventValue = string | number | boolean | null | EventValue[] | { [key: string]: EventValue };

export interface WebhookEventInput {
  tenantId: string;
  /** The workspace the event belongs to: webhooks filtered to another workspace do not get it. */
  workspaceId: string | null;
  type: Exclude<WebhookEventType, 'ping'>;
  data: Record<string, EventValue>;
  /** When it happened (the payload's `timestamp`); now when absent. */
  at?: Date;
}

/** The body every delivery of an event sends, byte for byte on every attempt. */
export interface WebhookPayload {
  type: WebhookEventType;
  timestamp: string;
  data: Record<string, EventValue>;
}

const FAN_OUT = `
  WITH targets AS (
    SELECT w.id, w.tenant_id FROM webhooks w
    WHERE w.tenant_id = $2::uuid AND w.enabled
      AND (w.workspace_id IS NULL OR w.workspace_id = $3::uuid)
      AND (w.events @> ARRAY[$4::text] OR w.events @> ARRAY['*'])
  ), event AS (
    INSERT INTO webhook_events (id, tenant_id, workspace_id, type, payload, created_at)
    SELECT $1::uuid, $2::uuid, $3::uuid, $4::text, $5::jsonb, $6::timestamptz
    WHERE EXISTS (SELECT 1 FROM targets)
    RETURNING id
  )
  INSERT INTO webhook_deliveries (id, tenant_id, webhook_id, event_id, event_type, next_attempt_at, updated_at)
  SELECT webhook_uuid7(), t.tenant_id, t.id, event.id, $4::text, $6::timestamptz, $6::timestamptz
  FROM targets t CROSS JOIN event`;

export function webhookPayload(type: WebhookEventType, at: Date, data: Record<string, EventValue>) {
  return { type, timestamp: at.toISOString(), data } satisfies WebhookPayload;
}

/** Records one event and queues a delivery to every webhook that wants it; returns how many. */
export async function recordWebhookEvent(db: Db, event: WebhookEventInput): Promise<number> {
  const at = event.at ?? new Date();
  return db.$executeRawUnsafe(
    FAN_OUT,
    randomUUID7(at.getTime()),
    event.tenantId,
    event.workspaceId,
    event.type,
    JSON.stringify(webhookPayload(event.type, at, event.data)),
    at,
  );
}

/** A `ping` event for one webhook, whatever it subscribed to; returns the delivery's id. */
export async function queuePing(db: Db, webhook: { id: string; tenantId: string }): Promise<string> {
  const at = new Date();
  const eventId = randomUUID7(at.getTime());
  const deliveryId = randomUUID7(at.getTime());
  const data = { webhook_id: webhook.id };
  await db.$executeRaw`
    WITH event AS (
      INSERT INTO webhook_events (id, tenant_id, workspace_id, type, payload, created_at)
      VALUES (${eventId}::uuid, ${webhook.tenantId}::uuid, NULL, 'ping',
              ${JSON.stringify(webhookPayload('ping', at, data))}::jsonb, ${at}::timestamptz)
      RETURNING id
    )
    INSERT INTO webhook_deliveries (id, tenant_id, webhook_id, event_id, event_type, next_attempt_at, updated_at)
    SELECT ${deliveryId}::uuid, ${webhook.tenantId}::uuid, ${webhook.id}::uuid, event.id, 'ping',
           ${at}::timestamptz, ${at}::timestamptz
    FROM event`;
  return deliveryId;
}
