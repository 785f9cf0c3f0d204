// The one place where the parts are wired: Prisma → services → routes → app.
// Tests call wireApplication() with their own Prisma client; entry points call it after
// opening the database (src/infrastructure.ts).
import type { Express } from 'express';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import { buildApp } from './app.js';
import { createAuthenticator } from './auth/authenticator.js';
import type { Config } from './config/config.js';
import type { KeyRing } from './crypto/key-ring.js';
import { DatabaseFailureLog } from './db/database-failures.js';
import { poolOf, sqlOf } from './db/prisma-client.js';
import type { PrismaClient } from './generated/prisma/client.js';
import type { AnyRoute } from './http/route-table.js';
import { createSchemaRegistry } from './http/validation/schema-registry.js';
import { apiKeyRoutes } from './modules/api-keys/api-key-router.js';
import { createApiKeyService } from './modules/api-keys/api-key-service.js';
import { auditEventRoutes } from './modules/audit-events/audit-event-router.js';
import { createAuditEventService } from './modules/audit-events/audit-event-service.js';
import { authClientRoutes } from './modules/auth-clients/auth-client-router.js';
import { createAuthClientService } from './modules/auth-clients/auth-client-service.js';
import { authSecretRoutes } from './modules/auth-secrets/auth-secret-router.js';
import { createAuthSecretService } from './modules/auth-secrets/auth-secret-service.js';
import { createAuthSecretStore } from './modules/auth-secrets/auth-secret-store.js';
import { createTrashPurger, type TrashPurger } from './modules/auth-secrets/trash/trash-purger.js';
import { trashRoutes } from './modules/auth-secrets/trash/trash-router.js';
import { createTrashService } from './modules/auth-secrets/trash/trash-service.js';
import { createTrashStore } from './modules/auth-secrets/trash/trash-store.js';
import { versionRoutes } from './modules/auth-secrets/versions/version-router.js';
import { createVersionService } from './modules/auth-secrets/versions/version-service.js';
import { authcheckRoutes } from './modules/authcheck/authcheck-router.js';
import { createConnectCallback } from './modules/connect-sessions/connect-callback.js';
import { connectSessionRoutes } from './modules/connect-sessions/connect-session-router.js';
import { createConnectSessionService } from './modules/connect-sessions/connect-session-service.js';
import { createConnectSessionStore } from './modules/connect-sessions/connect-session-store.js';
import { credentialSchemaRoutes } from './modules/credential-schemas/credential-schema-router.js';
import { createCredentialSchemas } from './modules/credential-schemas/credential-schemas.js';
import { healthRoutes, type ReadinessProbe } from './modules/health/health-router.js';
import { membershipRoutes } from './modules/memberships/membership-router.js';
import { createMembershipService } from './modules/memberships/membership-service.js';
import { openApiRoutes } from './modules/openapi/openapi-router.js';
import { permissionRoutes } from './modules/permissions/permission-router.js';
import { roleRoutes } from './modules/roles/role-router.js';
import { createRoleService } from './modules/roles/role-service.js';
import { tenantRoutes } from './modules/tenants/tenant-router.js';
import { userRoutes } from './modules/users/user-router.js';
import { createUserService } from './modules/users/user-service.js';
import { webhookRoutes } from './modules/webhooks/webhook-router.js';
import { createWebhookService } from './modules/webhooks/webhook-service.js';
import { workspaceRoutes } from './modules/workspaces/workspace-router.js';
import { createWorkspaceService } from './modules/workspaces/workspace-service.js';
import { createHttpMetrics } from './observability/http-metrics.js';
import { registerPoolMetrics } from './observability/metrics.js';
import { METRICS_PATH, metricsHandler } from './observability/metrics-handler.js';
import { createAccessPolicy } from './permissions/access-policy.js';
import { createRefreshModule, type RefreshModule } from './refresh/refresh-module.js';
import { createRefreshRequests } from './refresh/refresh-request.js';
import { refreshRoutes } from './refresh/refresh-router.js';
import { createRateLimits } from './security/rate-limits.js';
import {
  createWebhookDeliveryModule,
  type WebhookDeliveryModule,
} from './webhooks/webhook-delivery-module.js';

export interface ApplicationParts {
  prisma: PrismaClient;
  config: Config;
  logger: Logger;
  /** Encryption at rest for credentials and client secrets (src/crypto). */
  keyRing: KeyRing;
  readinessProbes?: ReadinessProbe[];
  /** Cross-process refresh coordination and rate limits (REDIS_URL); absent: in-process only. */
  redis?: Redis | undefined;
  /**
   * Where /metrics reads from, and where features register their metrics; a fresh Registry per
   * application when absent. Entry points pass createMetricsRegistry() (the process's default metrics).
   */
  metricsRegistry?: Registry;
}

export interface Application {
  app: Express;
  routes: AnyRoute[];
  /** Token refresh: its service, and a worker the entry point starts (src/server.ts, src/worker.ts). */
  refresh: RefreshModule;
  /** Purges the trash after DELETED_SECRET_RETENTION_DAYS; the entry point starts it beside the worker. */
  trashPurger: TrashPurger;
  /** Webhook delivery: a worker the entry points start (src/server.ts, src/worker.ts). */
  webhooks: WebhookDeliveryModule;
}

export function wireApplication(parts: ApplicationParts): Application {
  const { prisma, config, logger } = parts;
  const policy = createAccessPolicy(sqlOf(prisma));
  // One Ajv instance: request bodies, and credentials (checked against the schema of the
  // auth-client's type at run time), all compile from schemas/ once.
  const schemas = createSchemaRegistry();
  // The credentials schemas of `other` auth-clients: their own Ajv, built-ins compiled once, inline
  // ones in a bounded cache, shared by auth-client writes and auth-secret writes.
  const credentialSchemas = createCredentialSchemas();
  // One auth-secret store for the service and the refresher: they share its batched reads.
  const secretStore = createAuthSecretStore({
    prisma,
    sql: sqlOf(prisma),
    versionsKept: config.secretVersionsKept,
    refreshAheadSeconds: config.refreshAheadSeconds,
  });

  // Database failures are logged at a bounded rate; a new connection means the database answers again.
  const databaseFailures = new DatabaseFailureLog(logger);
  poolOf(prisma).on('connect', () => databaseFailures.recovered());
  const metricsRegistry = parts.metricsRegistry ?? new Registry();
  registerPoolMetrics(metricsRegistry, poolOf(prisma));
  const refresh = createRefreshModule({
    ...parts,
    secrets: secretStore,
    registry: metricsRegistry,
    databaseFailures,
  });
  const authSecrets = createAuthSecretService({
    prisma,
    store: secretStore,
    keyRing: parts.keyRing,
    schemas,
    credentialSchemas,
    logger,
    issueClientCredentials: refresh.issueClientCredentials,
  });
  // Every purge (trash, retention, with the auth-client or workspace) revokes the secret's tokens
  // once it committed (API.md §10.1).
  const afterPurge = refresh.revocations.afterPurge;
  const refreshRequests = createRefreshRequests({
    refresh: refresh.service,
    store: refresh.store,
    secrets: authSecrets,
    coalesceSeconds: config.refreshCoalesceSeconds,
  });
  const trash = createTrashService({
    prisma,
    store: secretStore,
    trash: createTrashStore(prisma),
    keyRing: parts.keyRing,
    logger,
    retentionDays: config.deletedSecretRetentionDays,
    afterPurge,
  });
  const versions = createVersionService({ prisma, store: secretStore, keyRing: parts.keyRing, logger });
  const connectSessions = createConnectSessionStore(prisma);
  const webhooks = createWebhookDeliveryModule({ ...parts, registry: metricsRegistry, databaseFailures });
  const routes: AnyRoute[] = [
    ...healthRoutes(
      prisma,
      parts.readinessProbes,
      databaseFailures,
      Math.min(2000, Math.floor(config.requestTimeoutMs / 2)),
    ),
    ...userRoutes(createUserService(prisma)),
    ...tenantRoutes(prisma),
    ...apiKeyRoutes(createApiKeyService(prisma)),
    ...workspaceRoutes(createWorkspaceService(prisma, afterPurge)),
    ...membershipRoutes(createMembershipService(prisma)),
    ...roleRoutes(createRoleService(prisma)),
    ...permissionRoutes(),
    ...credentialSchemaRoutes(),
    ...authcheckRoutes(policy),
    ...auditEventRoutes(createAuditEventService(prisma)),
    ...authClientRoutes(
      createAuthClientService(
        prisma,
        parts.keyRing,
        { allowLoopbackHttp: config.oauthAllowLoopbackHttp, refreshAheadSeconds: config.refreshAheadSeconds },
        secretStore,
        credentialSchemas,
        afterPurge,
      ),
    ),
    ...authSecretRoutes(authSecrets, trash, refreshRequests),
    ...versionRoutes(versions, authSecrets),
    ...trashRoutes(trash),
    ...refreshRoutes(refreshRequests),
    ...connectSessionRoutes(
      createConnectSessionService({
        prisma,
        store: connectSessions,
        secrets: secretStore,
        keyRing: parts.keyRing,
        allowLoopbackHttp: config.oauthAllowLoopbackHttp,
        ttlSeconds: config.connectSessionTtlSeconds,
      }),
      createConnectCallback({
        prisma,
        store: connectSessions,
        secrets: authSecrets,
        provider: refresh.provider,
        keyRing: parts.keyRing,
        logger,
      }),
    ),
    ...webhookRoutes(
      createWebhookService(prisma, parts.keyRing, { allowLoopbackHttp: config.oauthAllowLoopbackHttp }),
    ),
  ];
  // The OpenAPI description covers the whole table, its own route included.
  routes.push(...openApiRoutes(routes));
  const rateLimits = createRateLimits({ config, redis: parts.redis, logger });
  const app = buildApp({
    logger,
    routes,
    policy,
    authenticate: rateLimits.limitPerKey(createAuthenticator(sqlOf(prisma))),
    schemas,

    publicUrl: config.publicUrl,
    bodyLimitBytes: config.bodyLimitBytes,
    metricsHandler: metricsHandler(metricsRegistry, config.metricsToken),
    httpMetrics: createHttpMetrics(metricsRegistry, [...routes.map((r) => r.path), METRICS_PATH]),
    rateLimits,
    trustProxy: config.trustProxy,
    requestTimeoutMs: config.requestTimeoutMs,
    databaseFailures,
  });
  return {
    app,
    routes,
    refresh,
    webhooks,
    trashPurger: createTrashPurger({ prisma, config, logger, databaseFailures, afterPurge }),
  };
}
