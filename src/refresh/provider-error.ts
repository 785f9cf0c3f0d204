// What can go wrong when asking an OAuth2 provider for a new token, in the terms the failure
// policy needs: `rejected` is permanent (the grant or the client is refused, retrying cannot help);
// every other kind is transient and leaves the stored secret as it was.
import { ApiError } from '../errors/api-error.js';
import { redactCredentials, redactKnownExact } from './credential-redaction.js';

export type ProviderErrorKind =
  /** RFC 6749 §5.2 error response (invalid_grant, invalid_client, …). */
  | 'rejected'
  /** No answer within OAUTH_TIMEOUT_MS. */
  | 'timeout'
  /** Connection refused/reset, DNS failure. */
  | 'unreachable'
  /** 5xx, 429 or any other non-OAuth error status. */
  | 'provider_error'
  /** 2xx that is not a usable token response, a redirect, or a body over the size limit. */
  | 'invalid_response'
  /** The token URL is not allowed (scheme, or resolves to a non-public address). */
  | 'blocked';

export class ProviderError extends Error {
  override name = 'ProviderError';

  constructor(
    readonly kind: ProviderErrorKind,
    /** Safe for clients and logs: never contains tokens or client secrets. */
    readonly detail: string,
    /** The provider's HTTP status, when it answered. */
    readonly status?: number,
    /** The provider's `error` code, for rejections. */
    readonly oauthError?: string,
  ) {
    super(detail);
  }
}

const API_ERRORS: Record<
  Exclude<ProviderErrorKind, 'rejected'>,
  { status: number; code: string; title: string }
> = {
  timeout: { status: 504, code: 'oauth_provider_timeout', title: 'OAuth provider timeout' },
  unreachable: { status: 502, code: 'oauth_provider_unreachable', title: 'OAuth provider unreachable' },
  provider_error: { status: 502, code: 'oauth_provider_error', title: 'OAuth provider error' },
  invalid_response: {
    status: 502,
    code: 'oauth_provider_invalid_response',
    title: 'Invalid OAuth provider response',
  },
  blocked: {
    status: 502,
    code: 'oauth_provider_address_forbidden',
    title: 'OAuth provider address not allowed',
  },
};

/** The HTTP error for a transient failure of an on-demand refresh (API.md §4: 502/504, nothing changed). */
export function providerApiError(kind: Exclude<ProviderErrorKind, 'rejected'>, detail: string): ApiError {
  const e = API_ERRORS[kind];
  return new ApiError({
    status: e.status,
    code: e.code,
    title: e.title,
    detail: `${detail} The stored secret is unchanged; try again later.`,
  });
}

/**
 * Provider-supplied text, made safe to store and show: printable, short, and never a credential.
 * `secrets` are the raw credentials of the request (see credentialSpellings); every encoding of
 * them is removed, and so is anything credential-shaped (src/refresh/credential-redaction.ts).
 * Redaction comes before the cut to `max`, so that a cut can never leave part of a secret behind.
 */
export function sanitizeProviderText(
  text: unknown,
  secrets: readonly string[],
  max = 300,
): string | undefined {
  if (typeof text !== 'string') return undefined;
  const printable = redactKnownExact(text.slice(0, 64 * 1024), secrets)
    .replace(/[^\x20-\x7E]+/g, ' ')
    .trim();
  const clean = redactCredentials(printable, secrets);
  if (clean.length === 0) return undefined;
  return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}
