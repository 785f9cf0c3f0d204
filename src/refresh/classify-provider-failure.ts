// Turns whatever simple-oauth2 (through Wreck) threw into a ProviderError, in the terms of the
// failure policy: an RFC 6749 §5.2 refusal is `rejected`, everything else is transient. Wreck
// reports failures as Boom errors whose shape depends on where the call broke (connect, status,
// body), so the checks go from most to least specific.
import { OutboundBlockedError } from './outbound-guard.js';
import { ProviderError, sanitizeProviderText } from './provider-error.js';

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

interface BoomLike {
  isBoom?: boolean;
  message?: string;
  output?: { statusCode?: number };
  data?: {
    isResponseError?: boolean;
    payload?: unknown;
    res?: { statusCode?: number };
    code?: string;
  } | null;
}

/** Maps whatever simple-oauth2/Wreck threw to a ProviderError. `secrets` never appear in the text. */
export function classifyProviderFailure(err: unknown, secrets: readonly string[]): ProviderError {
  if (err instanceof ProviderError) return err;
  if (err instanceof OutboundBlockedError) {
    return new ProviderError('blocked', `The auth-client's token URL is not allowed: ${err.message}.`);
  }
  const boom = (err ?? {}) as BoomLike;
  if (!boom.isBoom) {
    // simple-oauth2 validates its options with Joi (e.g. a client secret with non-ASCII characters).
    if ((err as { name?: unknown } | null)?.name === 'ValidationError') {
      return new ProviderError(
        'invalid_response',
        'The OAuth request could not be built from the auth-client settings.',
      );
    }
    // Wreck reports a connection dropped before any response as a plain "socket hang up".
    return new ProviderError('unreachable', 'The OAuth provider closed the connection without answering.');
  }
  const status = boom.data?.res?.statusCode;
  const boomStatus = boom.output?.statusCode;
  if (boomStatus === 504 || boomStatus === 408) {
    return new ProviderError('timeout', 'The OAuth provider did not answer in time.');
  }
  if (boom.data?.isResponseError && status !== undefined)
    return fromErrorResponse(status, boom.data.payload, secrets);
  if (status !== undefined) {
    if (status >= 400)
      return new ProviderError('provider_error', `The OAuth provider answered HTTP ${status}.`, status);
    if (status >= 300) return redirectError(status);
    // Wreck reports an oversized body as 413, or as a stream closed early when it cuts it off.
    if (boomStatus === 413 || boomStatus === 500) {
      return new ProviderError(
        'invalid_response',
        "The OAuth provider's token response was cut off or exceeds 64 KiB.",
        status,
      );
    }
    return new ProviderError('invalid_response', "The OAuth provider's token response is not JSON.", status);
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
      const description = sanitizeProviderText(
        (body as { error_description?: unknown }).error_description,
        secrets,
      );
      return new ProviderError(
        'rejected',
        description ? `${safeCode}: ${description}` : safeCode,
        status,
        code,
      );
    }
    return new ProviderError(
      'provider_error',
      `The OAuth provider answered HTTP ${status} (${safeCode}).`,
      status,
    );
  }
  return new ProviderError('provider_error', `The OAuth provider answered HTTP ${status}.`, status);
}
