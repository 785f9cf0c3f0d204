// The event types of API.md §11: what a webhook may subscribe to (`events`), and what the outbox
// (webhook-outbox.ts) records. `ping` is sent only on request (POST …/webhooks/{id}/ping), to the one
// webhook pinged, whatever its subscription.
export const WEBHOOK_EVENT_TYPES = [
  'auth_secret.created',
  'auth_secret.updated',
  'auth_secret.deleted',
  'auth_secret.restored',
  'auth_secret.refreshed',
  'auth_secret.refresh_failed',
  'auth_secret.error',
  'auth_secret.recovered',
  'connect_session.completed',
  'connect_session.failed',
  'ping',
] as const;

export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** Subscribes a webhook to every event type, including ones added later. */
export const ALL_EVENTS = '*';

export const isWebhookEventType = (t: string): t is WebhookEventType =>
  (WEBHOOK_EVENT_TYPES as readonly string[]).includes(t);
