// The one place that talks to OAuth2 providers: the refresh_token and authorization_code grants
// through simple-oauth2, behind the outbound guard, with one deadline for the whole call (DNS included), no redirects
// and a bounded response body. Errors come out as ProviderError; tokens never reach a log line
// or an error message from here.
import { createRequire } from 'node:module';
import { AuthorizationCode } from 'simple-oauth2';
import { classifyProviderFailure } from './classify-provider-failure.js';
import { credentialSpellings } from './credential-redaction.js';
import { type ResolvedEndpoint, resolveTokenEndpoint } from './outbound-guard.js';
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

export interface RefreshGrantRequest extends ClientAuthentication {
  tokenUrl: string;
  refreshToken: string;
  /** Never sent; known only so that a provider echoing it cannot put it into an error text. */
  accessToken?: string | undefined;
}

export interface ProviderTokens {
  accessToken: string;
  /** Undefined when the provider did not send one: the caller keeps the old refresh token. */
  refreshToken: string | undefined;
  /** From the provider's expires_in at the moment the response arrived; null when it sent none. */
  expiresAt: Date | null;
}

/** The authorization_code grant (RFC 6749 §4.1.3) with the PKCE verifier (RFC 7636 §4.5). */
export interface CodeGrantRequest extends ClientAuthentication {
  tokenUrl: string;
  code: string;
  codeVerifier: string;
  /** Exactly the redirect_uri of the authorization request. */
  redirectUri: string;
  /** The client's token_params; names the protocol sets were refused when they were written. */
  extraParams: Record<string, string>;
}

export interface ProviderClient {
  refresh(request: RefreshGrantRequest): Promise<ProviderTokens>;
  /** The tokens for an authorization code, through the same guard, deadline and size cap as refresh. */
  exchangeCode(request: CodeGrantRequest): Promise<ProviderTokens>;
}

export interface ProviderClientOptions {
  timeoutMs: number;
  allowLoopback: boolean;
  metrics?: RefreshMetrics;
  now?: () => number;
}

export function createProviderClient(opts: ProviderClientOptions): ProviderClient {
  const now = opts.now ?? Date.now;

  /**
   * One provider call: its deadline, its failure as a ProviderError whose text holds none of
   * `secrets` (in any spelling), and its latency in the metrics.
   */
  async function guarded(work: Promise<ProviderTokens>, secrets: string[]): Promise<ProviderTokens> {
    const started = now();
    let outcome = 'success';
    try {
      return await withDeadline(work, opts.timeoutMs);
    } catch (err) {
      const error = classifyProviderFailure(err, secrets);
      outcome = error.kind;
      throw error;
    } finally {
      opts.metrics?.providerLatency.observe({ outcome }, (now() - started) / 1000);
    }
  }

  return {
    refresh: (request) =>
      guarded(
        call(request, opts, now),
        credentialSpellings({
          clientId: request.clientId,
          clientSecret: request.clientSecret,
          tokens: [request.refreshToken, request.accessToken],
        }),
      ),
    exchangeCode: (request) =>
      guarded(
        exchange(request, opts, now),
        credentialSpellings({
          clientId: request.clientId,
          clientSecret: request.authMethod === 'none' ? undefined : request.clientSecret,
          tokens: [request.code, request.codeVerifier],
        }),
      ),
  };
}

async function call(request: RefreshGrantRequest, opts: ProviderClientOptions, now: () => number) {
  const deadline = now() + opts.timeoutMs;
  const endpoint = await resolveTokenEndpoint(request.tokenUrl, { allowLoopback: opts.allowLoopback });
  const oauth = new AuthorizationCode({
    ...clientConfig(request),
    auth: { tokenHost: endpoint.url.origin, tokenPath: `${endpoint.url.pathname}${endpoint.url.search}` },
  });
  const current = oauth.createToken({ refresh_token: request.refreshToken });
  const refreshed = await current.refresh({}, httpOptions(endpoint, deadline, now));
  // Taken before anything else happens: expires_in counts from the provider's answer.
  const receivedAt = now();
  return parseTokenResponse(refreshed.token as Record<string, unknown>, receivedAt);
}

async function exchange(request: CodeGrantRequest, opts: ProviderClientOptions, now: () => number) {
  const deadline = now() + opts.timeoutMs;
  const endpoint = await resolveTokenEndpoint(request.tokenUrl, { allowLoopback: opts.allowLoopback });
  const oauth = new AuthorizationCode({
    ...clientConfig(request),
    auth: { tokenHost: endpoint.url.origin, tokenPath: `${endpoint.url.pathname}${endpoint.url.search}` },
  });
  // The client's extra parameters first: the protocol's own always win.
  const params = {
    ...request.extraParams,
    code: request.code,
    redirect_uri: request.redirectUri,
    code_verifier: request.codeVerifier,
  };
  const token = await oauth.getToken(params, httpOptions(endpoint, deadline, now) as never);
  const receivedAt = now();
  return parseTokenResponse(token.token as Record<string, unknown>, receivedAt);
}

/** Wreck's options for one token request: the remaining deadline, the size cap, no redirects. */
function httpOptions(endpoint: ResolvedEndpoint, deadline: number, now: () => number) {
  return {
    timeout: Math.max(1, deadline - now()),
    maxBytes: MAX_TOKEN_RESPONSE_BYTES,
    // 0, not false: with false Wreck hands a 3xx back as if it were the answer.
    redirects: 0,
    // Connect to the address the guard checked, not to whatever DNS says a moment later.
    lookup: endpoint.lookup,
  } as never;
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
export function parseTokenResponse(body: Record<string, unknown>, receivedAt: number): ProviderTokens {
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
  const expiresIn = parseExpiresIn(body.expires_in);
  if (expiresIn === 'invalid') throw invalid('has an invalid expires_in');
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
