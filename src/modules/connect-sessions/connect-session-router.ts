import { assertResource, relationshipId } from '../../http/jsonapi/request-document.js';
import { createdResult, resourceResult } from '../../http/responses.js';
import { type AnyRoute, access, type HttpResult, route } from '../../http/route-table.js';
import { auditActorOf } from '../audit-events/audit-recorder.js';
import { OAUTH_CALLBACK_PATH, redirectUriFor } from '../auth-clients/oauth-callback.js';
import {
  CALLBACK_PAGE_HEADERS,
  connectedPage,
  invalidCallbackPage,
  notConnectedPage,
} from './callback-pages.js';
import type { CallbackOutcome, ConnectCallback } from './connect-callback.js';
import { connectSessionSpec } from './connect-session-serializer.js';
import type { ConnectSessionService, RelationshipRef } from './connect-session-service.js';

/** A query parameter given once as a plain value; repeated or absent is undefined. */
const single = (value: unknown) => (typeof value === 'string' ? value : undefined);

/**
 * 303 to the session's own return_url (never anywhere a request names) with the outcome added, or a
 * page of this service. An invalid state gets the 400 page and no redirect: the session it might
 * name is not known.
 */
function presentCallback(outcome: CallbackOutcome): HttpResult {
  if (outcome.kind === 'invalid_state')
    return { status: 400, html: invalidCallbackPage(), headers: { ...CALLBACK_PAGE_HEADERS } };
  const { session } = outcome;
  const success = outcome.kind === 'completed';
  if (session.returnUrl) {
    const target = new URL(session.returnUrl);
    target.searchParams.set('connect_session', session.id);
    target.searchParams.set('status', success ? 'success' : 'error');
    return { status: 303, headers: { ...CALLBACK_PAGE_HEADERS, Location: target.toString() } };
  }
  const html = success ? connectedPage(session.name) : notConnectedPage();
  return { status: 200, html, headers: { ...CALLBACK_PAGE_HEADERS } };
}

export function connectSessionRoutes(sessions: ConnectSessionService, callback: ConnectCallback): AnyRoute[] {
  return [
    route({
      method: 'POST',
      path: '/v2/workspaces/:workspace/connect-sessions',
      access: access.workspace('workspaces.auth_secret.create'),
      response: { status: 201, type: 'connect-session' },
      body: 'connect-session-create',
      handler: async (ctx) => {
        const data = assertResource(ctx.body, 'connect-session');
        const a = data.attributes;
        // The schema requires the auth-client relationship.
        const authClient = relationshipId(data, ['auth-client'], 'auth-client') as RelationshipRef;
        const authSecret = relationshipId(data, ['auth-secret'], 'auth-secret');
        const session = await sessions.create(
          ctx.workspace,
          ctx.workspacePermissions,
          ctx.principal,
          {
            name: a.name,
            scopes: a.scopes,
            returnUrl: a.return_url,
            authClient,
            authSecret,
            redirectUri: redirectUriFor(ctx.links),
          },
          auditActorOf(ctx),
        );
        return createdResult(connectSessionSpec, session, ctx);
      },
    }),
    route({
      method: 'GET',
      path: '/v2/workspaces/:workspace/connect-sessions/:id',
      access: access.workspace('workspaces.auth_secret.create'),
      response: { status: 200, type: 'connect-session' },
      handler: async (ctx) =>
        resourceResult(connectSessionSpec, await sessions.get(ctx.workspace, ctx.params.id ?? ''), ctx),
    }),
    route({
      method: 'GET',
      path: OAUTH_CALLBACK_PATH,
      // No authentication: the browser comes from the provider, and the state is the credential.
      access: access.public,
      // To the return_url, else a page saying how it went; an unusable state is a 400 page.
      response: [{ status: 303 }, { status: 200, html: true }, { status: 400, html: true }],
      query: { ownParameters: true },
      handler: async (ctx) => {
        const q = ctx.req.query as Record<string, unknown>;
        const outcome = await callback.handle(
          {
            state: single(q.state),
            code: single(q.code),
            error: single(q.error),
            errorDescription: single(q.error_description),
          },
          ctx.requestId,
        );
        return presentCallback(outcome);
      },
    }),
  ];
}
