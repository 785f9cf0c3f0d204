import { generateApiKey } from '../../auth/api-key-token.js';
import type { Principal } from '../../auth/principal.js';
import { isUuid, randomUUID7 } from '../../db/uuid7.js';
import { ApiError, notFound, unprocessable } from '../../errors/api-error.js';
import type { Prisma, PrismaClient } from '../../generated/prisma/client.js';
import { type Page, toPage } from '../../http/jsonapi/pagination.js';
import { isPermission } from '../../permissions/permission-catalogue.js';
import { type AuditActor, recordAuditEvent } from '../audit-events/audit-recorder.js';
import type { ApiKeyView } from './api-key-serializer.js';

export interface CreateApiKeyInput {
  name: string;
  scopes?: string[];
  expiresAt?: Date | null;
}

export function createApiKeyService(prisma: PrismaClient) {
  return {
    async create(
      principal: Principal,
      userId: string,
      input: CreateApiKeyInput,
      actor: AuditActor,
      now = new Date(),
    ): Promise<ApiKeyView> {
      const problems = (input.scopes ?? [])
        .map((s, i) => ({ s, i }))
        .filter(({ s }) => !isPermission(s))
        .map(({ s, i }) => ({
          code: 'unknown_permission',
          detail: `"${s}" is not a permission (see GET /v2/permissions).`,
          pointer: `/data/attributes/scopes/${i}`,
        }));
      if (input.expiresAt && input.expiresAt <= now) {
        problems.push({
          code: 'invalid_value',
          detail: 'expires_at must be in the future.',
          pointer: '/data/attributes/expires_at',
        });
      }
      if (problems.length > 0) throw unprocessable(problems);
      // A scoped key must not mint a key that can do more than itself.
      if (principal.scopes) {
        const wanted = input.scopes ?? null;
        if (wanted === null || wanted.some((s) => !principal.scopes?.has(s))) {
          throw scopeEscalation();
        }
      }
      const id = randomUUID7();
      const { token, secretHash } = generateApiKey(id);
      const user = await prisma.user.findUniqueOrThrow({ where: { id: userId }, select: { tenantId: true } });
      const key = await prisma.$transaction(async (tx) => {
        const created = await tx.apiKey.create({
          data: {
            id,
            userId,
            tenantId: user.tenantId,
            name: input.name,
            secretHash: new Uint8Array(secretHash),
            scopes: input.scopes ?? [],
            scoped: input.scopes !== undefined,
            expiresAt: input.expiresAt ?? null,
          },
        });
        await audit(tx, actor, 'api_key.create', created.id, { user_id: userId, scoped: created.scoped });
        return created;
      });
      return { ...key, token };
    },

    async list(userId: string, opts: { size: number; cursor?: string }): Promise<Page<ApiKeyView>> {
      const rows = await prisma.apiKey.findMany({
        where: { userId, ...(opts.cursor ? { id: { gt: opts.cursor } } : {}) },
        orderBy: { id: 'asc' },
        take: opts.size + 1,
      });
      return toPage(rows, opts.size);
    },

    async get(userId: string, keyId: string): Promise<ApiKeyView> {
      const key = isUuid(keyId) ? await prisma.apiKey.findFirst({ where: { id: keyId, userId } }) : null;
      if (!key) throw notFound('API key');
      return key;
    },

    /** Revocation is immediate: authentication reads revoked_at on every request. */
    async revoke(principal: Principal, userId: string, keyId: string, actor: AuditActor): Promise<void> {
      const key = await this.get(userId, keyId);
      // A scoped key may revoke itself or keys no stronger than itself, never a broader key.
      const broader = !key.scoped || key.scopes.some((s) => !principal.scopes?.has(s));
      if (principal.scopes && key.id !== principal.apiKeyId && broader) throw scopeEscalation();
      if (key.revokedAt) return;
      await prisma.$transaction(async (tx) => {
        await tx.apiKey.update({ where: { id: key.id }, data: { revokedAt: new Date() } });
        await audit(tx, actor, 'api_key.revoke', key.id, { user_id: userId });
      });
    },
  };
}

function audit(
  tx: Prisma.TransactionClient,
  actor: AuditActor,
  action: 'api_key.create' | 'api_key.revoke',
  keyId: string,
  details: Record<string, string | boolean>,
) {
  return recordAuditEvent(tx, actor, { action, resourceType: 'api-key', resourceId: keyId, details });
}

const scopeEscalation = () =>
  new ApiError({
    status: 403,
    code: 'scope_escalation',
    title: 'Forbidden',
    detail: 'A key with scopes can only create or revoke keys whose scopes are a subset of its own.',
  });

export type ApiKeyService = ReturnType<typeof createApiKeyService>;
