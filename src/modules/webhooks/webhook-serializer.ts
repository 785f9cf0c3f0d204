import type { Webhook, WebhookDelivery } from '../../generated/prisma/client.js';
import type { ResourceSpec } from '../../http/jsonapi/document-builder.js';
import { rfc3339 } from '../../http/jsonapi/timestamps.js';

/**
 * A webhook as the API may show it: never the sealed secret. `secret` (the plaintext) is present
 * only on what create and rotate-secret return: it is shown once.
 */
export type WebhookView = Omit<Webhook, 'secretSealed'> & { secret?: string };

export function toWebhookView(row: Webhook, secret?: string): WebhookView {
  const { secretSealed: _sealed, ...rest } = row;
  return secret === undefined ? rest : { ...rest, secret };
}

const webhookPath = (w: { tenantId: string; id: string }) => `/v2/tenants/${w.tenantId}/webhooks/${w.id}`;

export const webhookSpec: ResourceSpec<WebhookView> = {
  type: 'webhook',
  id: (w) => w.id,
  attributes: (w) => ({
    url: w.url,
    events: w.events,
    enabled: w.enabled,
    description: w.description,
    ...(w.secret !== undefined ? { secret: w.secret } : {}),
    created_at: rfc3339(w.createdAt),
    updated_at: rfc3339(w.updatedAt),
  }),
  selfPath: webhookPath,
  relationships: {
    workspace: {
      type: 'workspace',
      id: (w) => w.workspaceId,
      // No workspace: the webhook gets the events of every workspace of the tenant, which this lists.
      relatedPath: (w) =>
        w.workspaceId ? `/v2/workspaces/${w.workspaceId}` : `/v2/tenants/${w.tenantId}/workspaces`,
    },
  },
};

export type WebhookDeliveryView = WebhookDelivery;

export const webhookDeliverySpec: ResourceSpec<WebhookDeliveryView> = {
  type: 'webhook-delivery',
  id: (d) => d.id,
  attributes: (d) => ({
    event_type: d.eventType,
    status: d.status,
    attempts: d.attempts,
    last_status_code: d.lastStatusCode,
    last_error: d.lastError,
    // While a worker holds it, next_attempt_at is when its claim lapses: not a time to show.
    next_attempt_at: d.status === 'pending' ? rfc3339(d.nextAttemptAt) : null,
    created_at: rfc3339(d.createdAt),
    updated_at: rfc3339(d.updatedAt),
  }),
  selfPath: (d) => `${webhookPath({ tenantId: d.tenantId, id: d.webhookId })}/deliveries/${d.id}`,
  relationships: {
    webhook: {
      type: 'webhook',
      id: (d) => d.webhookId,
      relatedPath: (d) => webhookPath({ tenantId: d.tenantId, id: d.webhookId }),
    },
  },
};
