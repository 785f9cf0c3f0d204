// Webhooks of a tenant (API.md §11): CRUD, the one-time signing secret and its rotation, ping, and
// the deliveries with their retry. Every query is scoped to the caller's tenant; webhook changes are
// tenant-level audit events that never hold the secret.
import type { KeyRing } from '../../crypto/key-ring.js';
import { isUuid, randomUUID7 } from '../../db/uuid7.js';
import { ApiError, conflict, notFound, unprocessable } from '../../errors/api-error.js';
import type { Prisma, PrismaClient, Webhook } from '../../generated/prisma/client.js';
import { type Page, toPage } from '../../http/jsonapi/pagination.js';
import { type AuditActor, recordAuditEvent } from '../audit-events/audit-recorder.js';
import type { RelationshipRef } from '../auth-secrets/auth-secret-rows.js';
import { ALL_EVENTS, isWebhookEventType } from './webhook-event-types.js';
import { queuePing } from './webhook-outbox.js';
import { newSigningSecret, sealSigningSecret } from './webhook-secret.js';
import { toWebhookView, type WebhookDeliveryView, type WebhookView } from './webhook-serializer.js';
import { destinationOf, webhookUrlProblems } from './webhook-url-policy.js';

export interface WebhookInput {
  url?: string;
  events?: string[];
  enabled?: boolean;
  description?: string | null;
  /** The workspace filter: a reference, or null to remove it. */
  workspace?: RelationshipRef | null;
}

export interface PageRequest {
  size: number;
  cursor?: string | undefined;
}

type Problem = { code: string; detail: string; pointer: string };

function eventProblems(events: string[]): Problem[] {
  const problems: Problem[] = [];
  events.forEach((type, i) => {
    if (type !== ALL_EVENTS && !isWebhookEventType(type)) {
      problems.push({
        code: 'unknown_event_type',
        detail: `"${type.slice(0, 100)}" is not an event type (API.md §11), nor "*" for all of them.`,
        pointer: `/data/attributes/events/${i}`,
      });
    }
  });
  if (events.includes(ALL_EVENTS) && events.length > 1) {
    problems.push({
      code: 'invalid_events',
      detail: '"*" subscribes to every event type; list it alone.',
      pointer: '/data/attributes/events',
    });
  }
  return problems;
}

// Like an auth-secret naming an auth-client of another tenant: a related resource that does not
// exist for the caller is a 404 (JSON:API), pointing at the relationship.
const workspaceNotFound = (pointer: string) =>
  new ApiError({
    status: 404,
    code: 'not_found',
    title: 'Not found',
    detail: 'The workspace does not exist in this tenant.',
    source: { pointer },
  });

export function createWebhookService(
  prisma: PrismaClient,
  keyRing: KeyRing,
  opts: { allowLoopbackHttp: boolean },
) {
  /** 422 with every problem of the input (URL rules, event types) before anything is written. */
  function check(input: WebhookInput): void {
    const problems: Problem[] = [
      ...(input.url !== undefined ? webhookUrlProblems(input.url, opts.allowLoopbackHttp) : []),
      ...(input.events !== undefined ? eventProblems(input.events) : []),
    ];
    if (problems.length > 0) throw unprocessable(problems);
  }

  /** The workspace id of a filter, if the workspace is in this tenant (else 404, pointing at it). */
  async function workspaceIn(tenantId: string, ref: RelationshipRef): Promise<string> {
    const found = isUuid(ref.id)
      ? await prisma.workspace.findFirst({ where: { id: ref.id, tenantId }, select: { id: true } })
      : null;
    if (!found) throw workspaceNotFound(ref.pointer);
    return found.id;
  }

  async function find(tenantId: string, id: string): Promise<Webhook> {
    const row = isUuid(id) ? await prisma.webhook.findFirst({ where: { id, tenantId } }) : null;
    if (!row) throw notFound('webhook');
    return row;
  }

  function audit(
    tx: Prisma.TransactionClient,
    actor: AuditActor,
    action: 'webhook.create' | 'webhook.update' | 'webhook.delete' | 'webhook.rotate_secret',
    id: string,
    details: Record<string, string | string[] | boolean> = {},
  ) {
    return recordAuditEvent(tx, actor, { action, resourceType: 'webhook', resourceId: id, details });
  }

  async function findDelivery(tenantId: string, webhookId: string, id: string) {
    const row =
      isUuid(id) && isUuid(webhookId)
        ? await prisma.webhookDelivery.findFirst({ where: { id, webhookId, tenantId } })
        : null;
    if (!row) throw notFound('webhook delivery');
    return row;
  }

  return {
    async list(tenantId: string, page: PageRequest): Promise<Page<WebhookView>> {
      const rows = await prisma.webhook.findMany({
        where: { tenantId, ...(page.cursor ? { id: { gt: page.cursor } } : {}) },
        orderBy: { id: 'asc' },
        take: page.size + 1,
      });
      return toPage(
        rows.map((r) => toWebhookView(r)),
        page.size,
      );
    },

    async get(tenantId: string, id: string): Promise<WebhookView> {
      return toWebhookView(await find(tenantId, id));
    },

    /** The plaintext secret is in the result, once; only its sealed form is stored. */
    async create(
      tenantId: string,
      input: WebhookInput & { url: string; events: string[] },
      actor: AuditActor,
    ): Promise<WebhookView> {
      check(input);
      const workspaceId = input.workspace ? await workspaceIn(tenantId, input.workspace) : null;
      const id = randomUUID7();
      const secret = newSigningSecret();
      const row = await prisma.$transaction(async (tx) => {
        const created = await tx.webhook.create({
          data: {
            id,
            tenantId,
            workspaceId,
            url: input.url,
            destination: destinationOf(input.url),
            events: input.events,
            enabled: input.enabled ?? true,
            description: input.description ?? null,
            secretSealed: sealSigningSecret(keyRing, { id, tenantId }, secret),
          },
        });
        await audit(tx, actor, 'webhook.create', id, { events: input.events, enabled: created.enabled });
        return created;
      });
      return toWebhookView(row, secret);
    },

    async update(tenantId: string, id: string, input: WebhookInput, actor: AuditActor): Promise<WebhookView> {
      const current = await find(tenantId, id);
      check(input);
      const data: Prisma.WebhookUncheckedUpdateInput = {};
      if (input.url !== undefined) {
        data.url = input.url;
        data.destination = destinationOf(input.url);
      }
      if (input.events !== undefined) data.events = input.events;
      if (input.enabled !== undefined) data.enabled = input.enabled;
      if (input.description !== undefined) data.description = input.description;
      if (input.workspace !== undefined) {
        data.workspaceId = input.workspace ? await workspaceIn(tenantId, input.workspace) : null;
      }
      if (Object.keys(data).length === 0) return toWebhookView(current);
      const row = await prisma.$transaction(async (tx) => {
        const { count } = await tx.webhook.updateMany({ where: { id, tenantId }, data });
        if (count !== 1) throw notFound('webhook');
        // Member names only (the URL may carry a token of the receiver's in its query).
        await audit(tx, actor, 'webhook.update', id, { changed: Object.keys(input).sort() });
        return tx.webhook.findUniqueOrThrow({ where: { id } });
      });
      return toWebhookView(row);
    },

    async remove(tenantId: string, id: string, actor: AuditActor): Promise<void> {
      if (!isUuid(id)) throw notFound('webhook');
      await prisma.$transaction(async (tx) => {
        const { count } = await tx.webhook.deleteMany({ where: { id, tenantId } });
        if (count !== 1) throw notFound('webhook');
        await audit(tx, actor, 'webhook.delete', id);
      });
    },

    /** A new secret, effective at once for every delivery not yet sent; the old one stops working. */
    async rotateSecret(tenantId: string, id: string, actor: AuditActor): Promise<WebhookView> {
      await find(tenantId, id);
      const secret = newSigningSecret();
      const row = await prisma.$transaction(async (tx) => {
        const { count } = await tx.webhook.updateMany({
          where: { id, tenantId },
          data: { secretSealed: sealSigningSecret(keyRing, { id, tenantId }, secret) },
        });
        if (count !== 1) throw notFound('webhook');
        await audit(tx, actor, 'webhook.rotate_secret', id);
        return tx.webhook.findUniqueOrThrow({ where: { id } });
      });
      return toWebhookView(row, secret);
    },

    /** Queues a `ping` to this webhook; a disabled one gets nothing (409). */
    async ping(tenantId: string, id: string): Promise<WebhookDeliveryView> {
      const webhook = await find(tenantId, id);
      if (!webhook.enabled) {
        throw conflict('webhook_disabled', 'This webhook is disabled; enable it to ping it.', {
          pointer: '/data/attributes/enabled',
        });
      }
      const deliveryId = await queuePing(prisma, webhook);
      return prisma.webhookDelivery.findUniqueOrThrow({ where: { id: deliveryId } });
    },

    /** Newest first (ids are UUIDv7: descending id is descending creation time). */
    async listDeliveries(
      tenantId: string,
      webhookId: string,
      page: PageRequest,
    ): Promise<Page<WebhookDeliveryView>> {
      await find(tenantId, webhookId);
      const rows = await prisma.webhookDelivery.findMany({
        where: { tenantId, webhookId, ...(page.cursor ? { id: { lt: page.cursor } } : {}) },
        orderBy: { id: 'desc' },
        take: page.size + 1,
      });
      return toPage(rows, page.size);
    },

    getDelivery: findDelivery,

    /** Queues a failed delivery again, with a fresh retry schedule (attempts start from 0). */
    async retryDelivery(tenantId: string, webhookId: string, id: string): Promise<WebhookDeliveryView> {
      await findDelivery(tenantId, webhookId, id);
      const { count } = await prisma.webhookDelivery.updateMany({
        where: { id, webhookId, tenantId, status: 'failed' },
        data: { status: 'pending', attempts: 0, nextAttemptAt: new Date(), claimToken: null },
      });
      if (count !== 1) {
        throw conflict(
          'delivery_not_failed',
          'Only a failed delivery can be retried; this one is not failed.',
        );
      }
      return findDelivery(tenantId, webhookId, id);
    },
  };
}

export type WebhookService = ReturnType<typeof createWebhookService>;
