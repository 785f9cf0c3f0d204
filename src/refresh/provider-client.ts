// The one place that talks to OAuth2 providers: the refresh_token, authorization_code and
// client_credentials grants and RFC 7009 revocation through simple-oauth2, behind the outbound guard, with one deadline for
// the whole call (DNS included), no redirects and a bounded response body. Errors come out as
// ProviderError; tokens never reach a log line or an error message from here.
import { createRequire } from 'node:module';
import { AuthorizationCode, ClientCredentials } from 'simple-oauth2';
import { PROTOCOL_PARAMS } from '../modules/auth-clients/extra-params.js';
import { classifyProviderFailure } from './classify-provider-failure.js';
import { credentialSpellings } from './credential-redaction.js';
import { resolveTokenEndpoint } from './outbound-guard.js';
import { ProviderError } from './provider-error.js';
import type { RefreshMetrics } from './refresh-metrics.js';

export const MAX_TOKEN_RESPONSE_BYTES = 64 * 1024;

/**
 * simple-oauth2 writes the Authorization header and the request options (client secret, refresh
 * token) through `debug` when DEBUG enables its namespace. Whatever DEBUG says, that namespace
 * stays off; other namespaces are left as they are.
 */
export function silenceSimpleOauth2Debug(): void {
  const fromLibrary = createRequire(createRequire(import.meta.url).resolve('simple-oauth2'));
  const debug = fromLibrary('debug') as { disable(): string; enable(namespaces: string): void };
  const enabled = debug.disable();
  if (enabled) debug.enable(`${enabled},-simple-oauth2:*`);
}
silenceSimpleOauth2Debug();

/** How the client authenticates at the provider (API.md §3, §10.1). */
export interface ClientAuthentication {
  clientId: string;
  /** Unused (may be empty) with auth method `none`. */
  clientSecret: string;
  authMethod: 'client_secret_basic' | 'client_secret_post' | 'none';
}

/** A request to the token endpoint (RFC 6749 §3.2). */
interface TokenEndpointRequest extends ClientAuthentication {
  tokenUrl: string;
  /** The client's extra parameters (`refresh_params` or `token_params`, API.md §10.1). */
  params?: Readonly<Record<string, string>> | undefined;
  /** Seconds assumed when the response has no expires_in (the client's `default_expires_in`). */
  defaultExpiresIn?: number | null | undefined;
  /** Never sent; known only so that a provider echoing it cannot put it into an error text. */
  accessToken?: string | undefined;
}

export interface RefreshGrantRequest extends TokenEndpointRequest {
  refreshToken: string;
}

export interface ClientCredentialsRequest extends TokenEndpointRequest {
  /** Sent as `scope` (space-separated) when not empty. */
  scopes: readonly string[];
}

/** The authorization_code grant with PKCE (RFC 6749 §4.1.3, RFC 7636 §4.5). */
export interface CodeGrantRequest extends ClientAuthentication {
  tokenUrl: string;
  code: string;
  codeVerifier: string;
  /** Exactly the redirect_uri of the authorization request. */
  redirectUri: string;
  /** The client's token_params; names the protocol sets were refused when they were written. */
  extraParams: Record<string, string>;
}

/** RFC 7009 token revocation. */
export interface RevocationRequest extends ClientAuthentication {
  revocationUrl: string;
  token: string;
  tokenTypeHint: 'refresh_token' | 'access_token';
}

export interface ProviderTokens {
  accessToken: string;
  /** Undefined when the provider did not send one: the caller keeps the old refresh token. */
  refreshToken: string | undefined;
  /**
   * From the provider's expires_in (or the client's default_expires_in when it sent none) at the
   * moment the response arrived; null when neither is known.
   */
  expiresAt: Date | null;
}

export interface ProviderClient {
  /** The refresh_token grant, with the client's refresh_params. */
  refresh(request: RefreshGrantRequest): Promise<ProviderTokens>;
  /** The client_credentials grant, with the client's scopes and token_params (API.md §10.3). */
  clientCredentials(request: ClientCredentialsRequest): Promise<ProviderTokens>;
  /** The tokens for an authorization code, through the same guard, deadline and size cap as refresh. */
  exchangeCode(request: CodeGrantRequest): Promise<ProviderTokens>;
  /** Revokes one token (RFC 7009); resolves when the provider accepted it. */
  revoke(request: RevocationRequest): Promise<void>;
}

export interface ProviderClientOptions {
  timeoutMs: number;
  allowLoopback: boolean;
  metrics?: RefreshMetrics;
  now?: () => number;
}

/** The Wreck options of every call: deadline, size cap, no redirects, the address the guard checked. */
type HttpOptions = Record<string, unknown>;

interface CallSecrets {
  clientId: string;
  /** Absent for a public client (auth method none), which sends none. */
  clientSecret: string | undefined;
  tokens: (string | undefined)[];
}

export function createProviderClient(opts: ProviderClientOptions): ProviderClient {
  const now = opts.now ?? Date.now;

  /**
   * One provider call: the outbound guard resolves `url`, `send` makes the request with the
   * guarded options, one deadline bounds both, and every failure becomes a ProviderError without
   * `secrets` in its text.
   */
  async function guarded<T>(
    url: string,
    secrets: CallSecrets,
    send: (endpoint: URL, http: HttpOptions) => Promise<T>,
  ): Promise<T> {
    const started = now();
    let outcome = 'success';
    try {
      const work = async () => {
        const deadline = now() + opts.timeoutMs;
        const endpoint = await resolveTokenEndpoint(url, { allowLoopback: opts.allowLoopback });
        return send(endpoint.url, {
          timeout: Math.max(1, deadline - now()),
          maxBytes: MAX_TOKEN_RESPONSE_BYTES,
          // 0, not false: with false Wreck hands a 3xx back as if it were the answer.
          redirects: 0,
          // Connect to the address the guard checked, not to whatever DNS says a moment later.
          lookup: endpoint.lookup,
        });
      };
      return await withDeadline(work(), opts.timeoutMs);
    } catch (err) {
      const error = classifyProviderFailure(err, credentialSpellings(secrets));
      outcome = error.kind;
      throw error;
    } finally {
      opts.metrics?.providerLatency.observe({ outcome }, (now() - started) / 1000);
    }
  }

  const secretsOf = (r: TokenEndpointRequest, refreshToken?: string): CallSecrets => ({
    clientId: r.clientId,
    clientSecret: r.clientSecret,
    tokens: [refreshToken, r.accessToken],
  });
  const tokenAuth = (endpoint: URL) => ({
    tokenHost: endpoint.origin,
    tokenPath: `${endpoint.pathname}${endpoint.search}`,
  });
  // now() is taken as soon as the answer is there: expires_in counts from the provider's answer.
  const tokensFrom = (body: unknown, r: Pick<TokenEndpointRequest, 'defaultExpiresIn'>) =>
    parseTokenResponse(body as Record<string, unknown>, now(), r.defaultExpiresIn ?? null);

  return {
    refresh: (request) =>
      guarded(request.tokenUrl, secretsOf(request, request.refreshToken), async (endpoint, http) => {
        const oauth = new AuthorizationCode({ ...clientConfig(request), auth: tokenAuth(endpoint) });
        const current = oauth.createToken({ refresh_token: request.refreshToken });
        const refreshed = await current.refresh(extraParams(request.params), http as never);
        return tokensFrom(refreshed.token, request);
      }),

    clientCredentials: (request) =>
      guarded(request.tokenUrl, secretsOf(request), async (endpoint, http) => {
        const oauth = new ClientCredentials({ ...clientConfig(request), auth: tokenAuth(endpoint) });
        const scope = request.scopes.length > 0 ? { scope: [...request.scopes] } : {};
        const issued = await oauth.getToken({ ...extraParams(request.params), ...scope }, http as never);
        return tokensFrom(issued.token, request);
      }),

    exchangeCode: (request) =>
      guarded(
        request.tokenUrl,
        {
          clientId: request.clientId,
          clientSecret: request.authMethod === 'none' ? undefined : request.clientSecret,
          tokens: [request.code, request.codeVerifier],
        },
        async (endpoint, http) => {
          const oauth = new AuthorizationCode({ ...clientConfig(request), auth: tokenAuth(endpoint) });
          // The client's extra parameters first: the protocol's own always win.
          const params = {
            ...extraParams(request.extraParams),
            code: request.code,
            redirect_uri: request.redirectUri,
            code_verifier: request.codeVerifier,
          };
          const issued = await oauth.getToken(params, http as never);
          // The connect callback applies the client's default_expires_in itself.
          return tokensFrom(issued.token, {});
        },
      ),

    revoke: (request) =>
      guarded(
        request.revocationUrl,
        { clientId: request.clientId, clientSecret: request.clientSecret, tokens: [request.token] },
        async (endpoint, http) => {
          // simple-oauth2 revokes at `revokePath` on its token host: here, the revocation URL's own.
          const oauth = new AuthorizationCode({
            ...clientConfig(request),
            auth: { tokenHost: endpoint.origin, revokePath: `${endpoint.pathname}${endpoint.search}` },
          });
          const token = oauth.createToken({ [request.tokenTypeHint]: request.token });
          // RFC 7009 §2.2: success is a 200 whose body does not matter (often empty, not JSON):
          // `json: true` accepts that where the default `strict` would refuse it.
          await token.revoke(request.tokenTypeHint, { ...http, json: true } as never);
        },
      ),
  };
}

/**
 * The client's extra parameters as sent. A protocol parameter is dropped even if one was stored:
 * the API refuses them on write, and this keeps a row written some other way from changing the grant.
 */
function extraParams(params: Readonly<Record<string, string>> | undefined): Record<string, string> {
  const sent: Record<string, string> = {};
  for (const [name, value] of Object.entries(params ?? {})) {
    if (!PROTOCOL_PARAMS.has(name)) sent[name] = value;
  }
  return sent;
}

/**
 * simple-oauth2's client settings for an auth method. It knows only header (Basic) and body
 * authentication, and in the body always writes both `idParamName` and `secretParamName`, the id
 * first. A public client (`none`, RFC 6749 §2.1) must send its client_id and nothing else: naming the
 * id's parameter as the secret's too, with the id as the value, makes the second write repeat the
 * first, so the request carries `client_id` alone (test/refresh/provider-client.test.ts checks the
 * request the provider saw).
 */
export function clientConfig(auth: ClientAuthentication) {
  if (auth.authMethod === 'none') {
    return {
      client: {
        id: auth.clientId,
        secret: auth.clientId,
        idParamName: 'client_id',
        secretParamName: 'client_id',
      },
      options: { authorizationMethod: 'body' as const },
    };
  }
  return {
    client: { id: auth.clientId, secret: auth.clientSecret },
    options: {
      authorizationMethod: auth.authMethod === 'client_secret_post' ? ('body' as const) : ('header' as const),
    },
  };
}

/** Validates a token response (RFC 6749 §5.1); simple-oauth2 checks nothing. */
export function parseTokenResponse(
  body: Record<string, unknown>,
  receivedAt: number,
  /** The client's default_expires_in: used when the response has no expires_in (API.md §10.1). */
  defaultExpiresIn: number | null = null,
): ProviderTokens {
  const invalid = (why: string) =>
    new ProviderError('invalid_response', `The OAuth provider's token response ${why}.`);
  if (typeof body.access_token !== 'string' || body.access_token.length === 0)
    throw invalid('has no access_token');
  if (body.access_token.length > 16384) throw invalid('has an access_token longer than 16384 characters');
  // token_type is case-insensitive (RFC 6749 §5.1); we only ever use bearer tokens' values, so
  // any spelling is accepted as long as it is a string.
  if (body.token_type !== undefined && typeof body.token_type !== 'string')
    throw invalid('has a non-string token_type');
  const refresh = body.refresh_token;
  if (refresh !== undefined && refresh !== null && (typeof refresh !== 'string' || refresh.length > 16384)) {
    throw invalid('has an invalid refresh_token');
  }
  const given = parseExpiresIn(body.expires_in);
  if (given === 'invalid') throw invalid('has an invalid expires_in');
  const expiresIn = given ?? defaultExpiresIn ?? undefined;
  return {
    accessToken: body.access_token,
    refreshToken: typeof refresh === 'string' && refresh.length > 0 ? refresh : undefined,
    expiresAt: expiresIn === undefined ? null : new Date(receivedAt + expiresIn * 1000),
  };
}

function parseExpiresIn(value: unknown): number | undefined | 'invalid' {
  if (value === undefined || value === null) return undefined;
  const n = typeof value === 'string' && /^\d{1,10}$/.test(value.trim()) ? Number(value.trim()) : value;
  if (typeof n !== 'number' || !Number.isFinite(n) || n < 0 || n > 2147483647) return 'invalid';
  return Math.floor(n);
}

function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new ProviderError('timeout', `The OAuth provider did not answer within ${ms} ms.`)),
      ms,
    );
  });
  return Promise.race([work, expired]).finally(() => clearTimeout(timer));
}
