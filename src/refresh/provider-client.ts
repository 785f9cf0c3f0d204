// The one place that talks to OAuth2 providers: the refresh_token grant through simple-oauth2,
// behind the outbound guard, with one deadline for the whole call (DNS included), no redirects
// and a bounded response body. Errors come out as ProviderError; tokens never reach a log line
// or an error message from here.
import { AuthorizationCode } from 'simple-oauth2';
import type { RefreshMetrics } from './refresh-metrics.js';
import { OutboundBlockedError, resolveTokenEndpoint } from './outbound-guard.js';
import { ProviderError, sanitizeProviderText } from './provider-error.js';

export const MAX_TOKEN_RESPONSE_BYTES = 64 * 1024;

export interface RefreshGrantRequest {
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  authMethod: 'client_secret_basic' | 'client_secret_post';
  refreshToken: string;
}

export interface ProviderTokens {
  accessToken: string;
  /** Undefined when the provider did not send one: the caller keeps the old refresh token. */
  refreshToken: string | undefined;
  /** From the provider's expires_in at the moment the response arrived; null when it sent none. */
  expiresAt: Date | null;
}

export interface ProviderClient {
  refresh(request: RefreshGrantRequest): Promise<ProviderTokens>;
}

export interface ProviderClientOptions {
  timeoutMs: number;
  allowLoopback: boolean;
  metrics?: RefreshMetrics;
  now?: () => number;
}

// RFC 6749 §5.2 codes meaning "this grant/client is refused": retrying the same request cannot
// succeed. Other codes (some providers send `temporarily_unavailable` with a 400) are transient.
const REJECTION_CODES = new Set([
  'invalid_grant',
  'invalid_client',
  'unauthorized_client',
  'unsupported_grant_type',
  'invalid_scope',
  'invalid_request',
]);

export function createProviderClient(opts: ProviderClientOptions): ProviderClient {
  const now = opts.now ?? Date.now;
  return {
    async refresh(request) {
      const started = now();
      let outcome = 'success';
      try {
        return await withDeadline(call(request, opts, now), opts.timeoutMs);
      } catch (err) {
        const error = classify(err, [request.refreshToken, request.clientSecret]);
        outcome = error.kind;
        throw error;
      } finally {
        opts.metrics?.providerLatency.observe({ outcome }, (now() - started) / 1000);
      }
    },
  };
}

async function call(request: RefreshGrantRequest, opts: ProviderClientOptions, now: () => number) {
  const deadline = now() + opts.timeoutMs;
  const endpoint = await resolveTokenEndpoint(request.tokenUrl, { allowLoopback: opts.allowLoopback });
  const oauth = new AuthorizationCode({
    client: { id: request.clientId, secret: request.clientSecret },
    auth: { tokenHost: endpoint.url.origin, tokenPath: `${endpoint.url.pathname}${endpoint.url.search}` },
    options: { authorizationMethod: request.authMethod === 'client_secret_post' ? 'body' : 'header' },
  });
  const current = oauth.createToken({ refresh_token: request.refreshToken });
  const refreshed = await current.refresh({}, {
    timeout: Math.max(1, deadline - now()),
    maxBytes: MAX_TOKEN_RESPONSE_BYTES,
    // 0, not false: with false Wreck hands a 3xx back as if it were the answer.
    redirects: 0,
    // Connect to the address the guard checked, not to whatever DNS says a moment later.
    lookup: endpoint.lookup,
  } as never);
  // Taken before anything else happens: expires_in counts from the provider's answer.
  const receivedAt = now();
  return parseTokenResponse(refreshed.token as Record<string, unknown>, receivedAt);
}

/** Validates a token response (RFC 6749 §5.1); simple-oauth2 checks nothing. */
export function parseTokenResponse(body: Record<string, unknown>, receivedAt: number): ProviderTokens {
  const invalid = (why: string) => new ProviderError('invalid_response', `The OAuth provider's token response ${why}.`);
  if (typeof body.access_token !== 'string' || body.access_token.length === 0) throw invalid('has no access_token');
  if (body.access_token.length > 16384) throw invalid('has an access_token longer than 16384 characters');
  // token_type is case-insensitive (RFC 6749 §5.1); we only ever use bearer tokens' values, so
  // any spelling is accepted as long as it is a string.
  if (body.token_type !== undefined && typeof body.token_type !== 'string') throw invalid('has a non-string token_type');
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

interface BoomLike {
  isBoom?: boolean;
  message?: string;
  output?: { statusCode?: number };
  data?: { isResponseError?: boolean; payload?: unknown; res?: { statusCode?: number }; code?: string } | null;
}

/** Maps whatever simple-oauth2/Wreck threw to a ProviderError. `secrets` never appear in the text. */
export function classify(err: unknown, secrets: readonly string[]): ProviderError {
  if (err instanceof ProviderError) return err;
  if (err instanceof OutboundBlockedError) {
    return new ProviderError('blocked', `The auth-client's token URL is not allowed: ${err.message}.`);
  }
  const boom = (err ?? {}) as BoomLike;
  if (!boom.isBoom) {
    // simple-oauth2 validates its options with Joi (e.g. a client secret with non-ASCII characters).
    return new ProviderError('invalid_response', 'The OAuth request could not be built from the auth-client settings.');
  }
  const status = boom.data?.res?.statusCode;
  const boomStatus = boom.output?.statusCode;
  if (boomStatus === 504 || boomStatus === 408) {
    return new ProviderError('timeout', 'The OAuth provider did not answer in time.');
  }
  if (boom.data?.isResponseError && status !== undefined) return fromErrorResponse(status, boom.data.payload, secrets);
  if (status !== undefined) {
    if (status >= 400) return new ProviderError('provider_error', `The OAuth provider answered HTTP ${status}.`, status);
    if (status >= 300) return redirectError(status);
    if (boomStatus === 413) {
      return new ProviderError('invalid_response', 'The OAuth provider\'s token response exceeds 64 KiB.', status);
    }
    return new ProviderError('invalid_response', 'The OAuth provider\'s token response is not JSON.', status);
  }
  if (boom.message?.startsWith('Maximum redirections') || boom.message?.includes('redirection')) {
    return redirectError(undefined);
  }
  const code = (boom.data as { code?: unknown } | null | undefined)?.code;
  const reason = typeof code === 'string' && /^[A-Z_]{2,32}$/.test(code) ? ` (${code})` : '';
  return new ProviderError('unreachable', `The OAuth provider could not be reached${reason}.`);
}

function redirectError(status: number | undefined) {
  return new ProviderError(
    'invalid_response',
    'The OAuth provider answered with a redirect; redirects are not followed with credentials.',
    status,
  );
}

function fromErrorResponse(status: number, payload: unknown, secrets: readonly string[]): ProviderError {
  const body = payload !== null && typeof payload === 'object' && !Buffer.isBuffer(payload) ? payload : {};
  const code = (body as { error?: unknown }).error;
  if (status >= 400 && status < 500 && status !== 408 && status !== 429 && typeof code === 'string') {
    const safeCode = sanitizeProviderText(code, secrets, 64) ?? 'error';
    if (REJECTION_CODES.has(code)) {
      const description = sanitizeProviderText((body as { error_description?: unknown }).error_description, secrets);
      return new ProviderError('rejected', description ? `${safeCode}: ${description}` : safeCode, status, code);
    }
    return new ProviderError('provider_error', `The OAuth provider answered HTTP ${status} (${safeCode}).`, status);
  }
  return new ProviderError('provider_error', `The OAuth provider answered HTTP ${status}.`, status);
}
