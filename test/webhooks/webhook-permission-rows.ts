// The webhook routes' rows of the permission matrix (API.md §2, §11): every route needs a
// tenants.webhook.* permission, which tenant admins have and tenant members do not (whatever their
// workspace roles); another tenant's admin sees nothing (404); a key scoped to other permissions is
// refused (403), one scoped to tenants.webhook.get may read. webhook-permissions.test.ts runs them;
// the route-table coverage check in test/tenancy/permission-matrix.test.ts counts them.
import { ACTORS, type ActorName } from '../support/factories.js';
import type { MatrixRow } from '../support/permission-matrix.js';

/** The world's actors, and the tenant admin through a key scoped to tenants.webhook.get. */
export const WEBHOOK_CALLERS = [...ACTORS, 'readKey'] as const;
export type WebhookCaller = ActorName | 'readKey';

export interface WebhookCase {
  tenantId: string;
  /** A fresh webhook of the tenant (so that delete and patch act on something that exists). */
  webhookId: string;
  /** A fresh failed delivery of that webhook. */
  deliveryId: string;
}

export interface WebhookRequest {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  path: string;
  body?: unknown;
}

export interface WebhookRow extends MatrixRow<WebhookCaller, WebhookCase, WebhookRequest> {
  /** The type of `data` in a successful response with a body. */
  type?: 'webhook' | 'webhook-delivery';
}

/** Statuses in the order of WEBHOOK_CALLERS. */
function statuses(...list: number[]): Record<WebhookCaller, number> {
  if (list.length !== WEBHOOK_CALLERS.length) throw new Error('one status per caller');
  return Object.fromEntries(WEBHOOK_CALLERS.map((c, i) => [c, list[i]])) as Record<WebhookCaller, number>;
}

const read = (ok: number) => statuses(ok, 403, 403, 403, 403, 403, 403, 404, 403, ok);
const write = (ok: number) => statuses(ok, 403, 403, 403, 403, 403, 403, 404, 403, 403);
const hook = (c: WebhookCase) => `/v2/tenants/${c.tenantId}/webhooks/${c.webhookId}`;

// Columns: admin member owner editor connector viewer nonMember otherTenant scopedKey readKey
export const WEBHOOK_ROWS: WebhookRow[] = [
  {
    route: 'GET /v2/tenants/:tenant/webhooks',
    type: 'webhook',
    expected: read(200),
    prepare: (c) => ({ method: 'GET', path: `/v2/tenants/${c.tenantId}/webhooks` }),
  },
  {
    route: 'POST /v2/tenants/:tenant/webhooks',
    type: 'webhook',
    expected: write(201),
    prepare: (c) => ({
      method: 'POST',
      path: `/v2/tenants/${c.tenantId}/webhooks`,
      body: {
        data: { type: 'webhook', attributes: { url: 'https://hooks.example.test/matrix', events: ['*'] } },
      },
    }),
  },
  {
    route: 'GET /v2/tenants/:tenant/webhooks/:id',
    type: 'webhook',
    expected: read(200),
    prepare: (c) => ({ method: 'GET', path: hook(c) }),
  },
  {
    route: 'PATCH /v2/tenants/:tenant/webhooks/:id',
    type: 'webhook',
    expected: write(200),
    prepare: (c) => ({
      method: 'PATCH',
      path: hook(c),
      body: { data: { type: 'webhook', id: c.webhookId, attributes: { description: 'changed' } } },
    }),
  },
  {
    route: 'DELETE /v2/tenants/:tenant/webhooks/:id',
    expected: write(204),
    prepare: (c) => ({ method: 'DELETE', path: hook(c) }),
  },
  {
    route: 'POST /v2/tenants/:tenant/webhooks/:id/rotate-secret',
    type: 'webhook',
    expected: write(200),
    prepare: (c) => ({ method: 'POST', path: `${hook(c)}/rotate-secret` }),
  },
  {
    route: 'POST /v2/tenants/:tenant/webhooks/:id/ping',
    type: 'webhook-delivery',
    expected: write(202),
    prepare: (c) => ({ method: 'POST', path: `${hook(c)}/ping` }),
  },
  {
    route: 'GET /v2/tenants/:tenant/webhooks/:id/deliveries',
    type: 'webhook-delivery',
    expected: read(200),
    prepare: (c) => ({ method: 'GET', path: `${hook(c)}/deliveries` }),
  },
  {
    route: 'GET /v2/tenants/:tenant/webhooks/:id/deliveries/:delivery',
    type: 'webhook-delivery',
    expected: read(200),
    prepare: (c) => ({ method: 'GET', path: `${hook(c)}/deliveries/${c.deliveryId}` }),
  },
  {
    route: 'POST /v2/tenants/:tenant/webhooks/:id/deliveries/:delivery/retry',
    type: 'webhook-delivery',
    expected: write(202),
    prepare: (c) => ({ method: 'POST', path: `${hook(c)}/deliveries/${c.deliveryId}/retry` }),
  },
];
