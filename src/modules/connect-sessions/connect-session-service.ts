// Starting a connect session (API.md §10.2) and reading one. The callback's side is
// oauth-callback.ts. What a session may be is checked here, every problem at once: an oauth2
// authorization_code auth-client of the tenant with an authorize_url, a return_url the service may
// send a browser to, and (re-authorization) a secret of that client in this workspace, which only a
// caller who may edit secrets may name.
import type { Principal } from '../../auth/principal.js';
import type { KeyRing } from '../../crypto/key-ring.js';
import { randomUUID7 } from '../../db/uuid7.js';
import { ApiError, forbidden, notFound, unprocessable } from '../../errors/api-error.js';
import type { AuthClient, PrismaClient } from '../../generated/prisma/client.js';
import type { WorkspaceScope } from '../../permissions/access-policy.js';
import type { WorkspacePermission } from '../../permissions/permission-catalogue.js';
import { type AuditActor, recordAuditEvent } from '../audit-events/audit-recorder.js';
import { authClientReader } from '../auth-clients/auth-client-reader.js';
import { toExtraParams } from '../auth-clients/extra-params.js';
import { type UrlProblem, urlProblems } from '../auth-clients/token-url-policy.js';
import type { AuthSecretStore } from '../auth-secrets/auth-secret-store.js';
import { authorizationUrl, newAuthorizationSecrets } from './authorization-request.js';
import { sealCodeVerifier } from './code-verifier.js';
import { type ConnectSessionView, toConnectSessionView } from './connect-session-serializer.js';
import type { ConnectSessionStore } from './connect-session-store.js';

export interface RelationshipRef {
  id: string;
  pointer: string;
}

export interface CreateConnectSessionInput {
  name: string;
  scopes?: string[] | undefined;
  returnUrl?: string | null | undefined;
  authClient: RelationshipRef;
  /** Re-authorize this secret instead of creating one. */
  authSecret?: RelationshipRef | undefined;
  /** `{PUBLIC_URL or the request's base}/v2/oauth/callback`. */
  redirectUri: string;
}

export interface ConnectSessionDependencies {
  prisma: PrismaClient;
  store: ConnectSessionStore;
  secrets: Pick<AuthSecretStore, 'find'>;
  keyRing: KeyRing;
  allowLoopbackHttp: boolean;
  ttlSeconds: number;
}

const REAUTHORIZE_PERMISSION: WorkspacePermission = 'workspaces.auth_secret.edit';

export function createConnectSessionService(deps: ConnectSessionDependencies) {
  const { prisma, store } = deps;

  async function clientFor(tenantId: string, ref: RelationshipRef): Promise<AuthClient> {
    const client = await authClientReader(prisma).find(tenantId, ref.id);
    if (!client) {
      throw new ApiError({
        status: 404,
        code: 'not_found',
        title: 'Not found',
        detail: 'The auth-client does not exist in this tenant.',
        source: { pointer: ref.pointer },
      });
    }
    return client;
  }

  /** Why this client cannot run an authorization-code flow ([] when it can). */
  function clientProblems(client: AuthClient, ref: RelationshipRef): UrlProblem[] {
    const problem = (detail: string) => [{ code: 'unsuitable_auth_client', detail, pointer: ref.pointer }];
    if (client.authType !== 'oauth2') return problem('Connect sessions need an oauth2 auth-client.');
    if ((client.grantType ?? 'authorization_code') !== 'authorization_code')
      return problem('Connect sessions need an auth-client whose grant_type is authorization_code.');
    if (!client.authorizeUrl || !client.clientId || !client.tokenUrl)
      return problem('The auth-client has no authorize_url: set oauth2.authorize_url first.');
    return [];
  }

  /** The secret to re-authorize: in this workspace (else 404) and of this client (else a 422 problem). */
  async function targetProblems(
    workspace: WorkspaceScope,
    permissions: ReadonlySet<WorkspacePermission>,
    ref: RelationshipRef,
    clientId: string,
  ): Promise<UrlProblem[]> {
    if (!permissions.has(REAUTHORIZE_PERMISSION)) throw forbidden(REAUTHORIZE_PERMISSION);
    const secret = await deps.secrets.find(workspace.id, ref.id);
    if (!secret) {
      throw new ApiError({
        status: 404,
        code: 'not_found',
        title: 'Not found',
        detail: 'The auth-secret does not exist in this workspace.',
        source: { pointer: ref.pointer },
      });
    }
    if (secret.authClientId === clientId) return [];
    return [
      {
        code: 'auth_client_mismatch',
        detail: 'The auth-secret to re-authorize belongs to another auth-client than the session names.',
        pointer: ref.pointer,
      },
    ];
  }

  return {
    async create(
      workspace: WorkspaceScope,
      permissions: ReadonlySet<WorkspacePermission>,
      principal: Pick<Principal, 'userId' | 'apiKeyId'>,
      input: CreateConnectSessionInput,
      actor: AuditActor,
      now = new Date(),
    ): Promise<ConnectSessionView> {
      const client = await clientFor(workspace.tenantId, input.authClient);
      const problems = clientProblems(client, input.authClient);
      if (input.authSecret)
        problems.push(...(await targetProblems(workspace, permissions, input.authSecret, client.id)));
      if (typeof input.returnUrl === 'string')
        problems.push(...urlProblems(input.returnUrl, '/data/attributes/return_url', deps.allowLoopbackHttp));
      if (problems.length > 0) throw unprocessable(problems);

      const secrets = newAuthorizationSecrets();
      const scopes = input.scopes ?? client.scopes;
      const ids = { id: randomUUID7(now.getTime()), tenantId: workspace.tenantId, workspaceId: workspace.id };
      const row = await prisma.$transaction(async (tx) => {
        const created = await store.create(tx, {
          ...ids,
          userId: principal.userId,
          apiKeyId: principal.apiKeyId,
          authClientId: client.id,
          authSecretId: input.authSecret?.id ?? null,
          reauthorize: input.authSecret !== undefined,
          name: input.name,
          scopes,
          returnUrl: input.returnUrl ?? null,
          redirectUri: input.redirectUri,
          stateHash: secrets.stateHash,
          codeVerifierSealed: sealCodeVerifier(deps.keyRing, ids, secrets.codeVerifier),
          expiresAt: new Date(now.getTime() + deps.ttlSeconds * 1000),
        });
        await recordAuditEvent(tx, actor, {
          action: 'connect_session.create',
          resourceType: 'connect-session',
          resourceId: created.id,
          workspaceId: workspace.id,
          details: {
            auth_client: client.id,
            ...(input.authSecret ? { reauthorize: input.authSecret.id } : {}),
          },
        });
        return created;
      });
      const url = authorizationUrl({
        authorizeUrl: client.authorizeUrl as string,
        clientId: client.clientId as string,
        redirectUri: input.redirectUri,
        scopes,
        state: secrets.state,
        codeChallenge: secrets.codeChallenge,
        extraParams: toExtraParams(client.authorizeParams),
      });
      return toConnectSessionView(row, now, url);
    },

    async get(workspace: WorkspaceScope, id: string, now = new Date()): Promise<ConnectSessionView> {
      const row = await store.find(workspace.id, id);
      if (!row) throw notFound('connect-session');
      return toConnectSessionView(row, now);
    },
  };
}

export type ConnectSessionService = ReturnType<typeof createConnectSessionService>;
