// Routes of API.md §11: webhooks of a tenant and their deliveries. Handlers parse, call one service
// method, present; the rules live in webhook-service.ts.
import { conflict } from '../../errors/api-error.js';
import { buildDocument } from '../../http/jsonapi/document-builder.js';
import { assertResource } from '../../http/jsonapi/request-document.js';
import { collectionResult, createdResult, resourceResult } from '../../http/responses.js';
import { type AnyRoute, access, type BaseContext, route } from '../../http/route-table.js';
import type { SchemaDefinition } from '../../http/validation/request-bodies.js';
import { auditActorOf } from '../audit-events/audit-recorder.js';
import type { RelationshipRef } from '../auth-secrets/auth-secret-rows.js';
import { type WebhookDeliveryView, webhookDeliverySpec, webhookSpec } from './webhook-serializer.js';
import type { WebhookInput, WebhookService } from './webhook-service.js';

type WorkspaceMember = SchemaDefinition<'webhook-common', 'workspace'>;

/** The workspace filter as sent: absent (unchanged), a reference, or data null (none). */
function workspaceRef(rel: WorkspaceMember | undefined): RelationshipRef | null | undefined {
  if (rel === undefined) return undefined;
  if (rel.data === null) return null;
  const pointer = '/data/relationships/workspace/data';
  if (rel.data.type !== 'workspace') {
    throw conflict('type_mismatch', 'The workspace relationship must point at a workspace.', {
      pointer: `${pointer}/type`,
    });
  }
  return { id: rel.data.id, pointer };
}

type Attributes = {
  url?: string;
  events?: string[];
  enabled?: boolean;
  description?: string | null;
};

function toInput(a: Attributes, workspace: WorkspaceMember | undefined): WebhookInput {
  const input: WebhookInput = {};
  if (a.url !== undefined) input.url = a.url;
  if (a.events !== undefined) input.events = a.events;
  if (a.enabled !== undefined) input.enabled = a.enabled;
  if (a.description !== undefined) input.description = a.description;
  const ws = workspaceRef(workspace);
  if (ws !== undefined) input.workspace = ws;
  return input;
}

/** 202: the ping is queued, not sent; the document is the delivery to watch. */
async function acceptedResult(item: WebhookDeliveryView, ctx: Pick<BaseContext, 'links'>) {
  return { status: 202, document: await buildDocument(webhookDeliverySpec, item, { links: ctx.links }) };
}

const WEBHOOK = '/v2/tenants/:tenant/webhooks/:id';

export function webhookRoutes(webhooks: WebhookService): AnyRoute[] {
  return [
    route({
      method: 'GET',
      path: '/v2/tenants/:tenant/webhooks',
      response: { status: 200, type: 'webhook', many: true },
      access: access.tenant('tenants.webhook.get'),
      query: { paginated: true },
      handler: async (ctx) =>
        collectionResult(webhookSpec, await webhooks.list(ctx.principal.tenantId, ctx.query.page), ctx),
    }),
    route({
      method: 'POST',
      path: '/v2/tenants/:tenant/webhooks',
      response: { status: 201, type: 'webhook' },
      access: access.tenant('tenants.webhook.create'),
      body: 'webhook-create',
      handler: async (ctx) => {
        const data = assertResource(ctx.body, 'webhook');
        const a = data.attributes;
        const input = { ...toInput(a, data.relationships?.workspace), url: a.url, events: a.events };
        const created = await webhooks.create(ctx.principal.tenantId, input, auditActorOf(ctx));
        return createdResult(webhookSpec, created, ctx);
      },
    }),
    route({
      method: 'GET',
      path: WEBHOOK,
      response: { status: 200, type: 'webhook' },
      access: access.tenant('tenants.webhook.get'),
      handler: async (ctx) =>
        resourceResult(webhookSpec, await webhooks.get(ctx.principal.tenantId, ctx.params.id ?? ''), ctx),
    }),
    route({
      method: 'PATCH',
      path: WEBHOOK,
      response: { status: 200, type: 'webhook' },
      access: access.tenant('tenants.webhook.edit'),
      body: 'webhook-update',
      handler: async (ctx) => {
        const id = ctx.params.id ?? '';
        await webhooks.get(ctx.principal.tenantId, id);
        const data = assertResource(ctx.body, 'webhook', id);
        const input = toInput(data.attributes ?? {}, data.relationships?.workspace);
        const updated = await webhooks.update(ctx.principal.tenantId, id, input, auditActorOf(ctx));
        return resourceResult(webhookSpec, updated, ctx);
      },
    }),
    route({
      method: 'DELETE',
      path: WEBHOOK,
      response: { status: 204 },
      access: access.tenant('tenants.webhook.delete'),
      handler: async (ctx) => {
        await webhooks.remove(ctx.principal.tenantId, ctx.params.id ?? '', auditActorOf(ctx));
        return { status: 204 };
      },
    }),
    route({
      method: 'POST',
      path: `${WEBHOOK}/rotate-secret`,
      response: { status: 200, type: 'webhook' },
      access: access.tenant('tenants.webhook.edit'),
      handler: async (ctx) => {
        const rotated = await webhooks.rotateSecret(
          ctx.principal.tenantId,
          ctx.params.id ?? '',
          auditActorOf(ctx),
        );
        return resourceResult(webhookSpec, rotated, ctx);
      },
    }),
    route({
      method: 'POST',
      path: `${WEBHOOK}/ping`,
      response: { status: 202, type: 'webhook-delivery' },
      access: access.tenant('tenants.webhook.edit'),
      handler: async (ctx) =>
        acceptedResult(await webhooks.ping(ctx.principal.tenantId, ctx.params.id ?? ''), ctx),
    }),
    route({
      method: 'GET',
      path: `${WEBHOOK}/deliveries`,
      response: { status: 200, type: 'webhook-delivery', many: true },
      access: access.tenant('tenants.webhook.get'),
      query: { paginated: true },
      handler: async (ctx) =>
        collectionResult(
          webhookDeliverySpec,
          await webhooks.listDeliveries(ctx.principal.tenantId, ctx.params.id ?? '', ctx.query.page),
          ctx,
        ),
    }),
    route({
      method: 'GET',
      path: `${WEBHOOK}/deliveries/:delivery`,
      response: { status: 200, type: 'webhook-delivery' },
      access: access.tenant('tenants.webhook.get'),
      handler: async (ctx) =>
        resourceResult(
          webhookDeliverySpec,
          await webhooks.getDelivery(ctx.principal.tenantId, ctx.params.id ?? '', ctx.params.delivery ?? ''),
          ctx,
        ),
    }),
    route({
      method: 'POST',
      path: `${WEBHOOK}/deliveries/:delivery/retry`,
      response: { status: 202, type: 'webhook-delivery' },
      access: access.tenant('tenants.webhook.edit'),
      handler: async (ctx) =>
        acceptedResult(
          await webhooks.retryDelivery(
            ctx.principal.tenantId,
            ctx.params.id ?? '',
            ctx.params.delivery ?? '',
          ),
          ctx,
        ),
    }),
  ];
}
