// The failure policy as pure functions, so it is tested without clocks or providers.
//  - rejected grant        → state error at once; the worker stops (it only claims `ready` rows).
//  - transient, token valid → stays ready; retry after exponential backoff with jitter.
//  - transient, token expired after MIN_FAILURES_BEFORE_ERROR consecutive failures → state error.
import type { ProviderErrorKind } from './provider-error.js';

export const BACKOFF_BASE_MS = 5_000;
export const BACKOFF_MAX_MS = 10 * 60_000;
export const MIN_FAILURES_BEFORE_ERROR = 3;

/**
 * Delay before attempt `failureCount + 1`: base·2^(n-1), capped, with "equal jitter" (half fixed,
 * half random) so that secrets failing together do not retry together, yet never retry at once.
 */
export function backoffDelayMs(failureCount: number, random: () => number = Math.random): number {
  const exp = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** Math.max(0, Math.min(30, failureCount - 1)));
  return Math.round(exp / 2 + random() * (exp / 2));
}

export interface FailureInput {
  kind: ProviderErrorKind;
  /** Safe text describing the failure (provider error code/description, status). */
  detail: string;
  /** Consecutive failures before this one. */
  previousFailures: number;
  expiresAt: Date | null;
  now: Date;
  /** On-demand refreshes never flip a secret on a transient failure: the caller sees a 502/504. */
  trigger: 'request' | 'worker';
}

export interface FailureDecision {
  failureCount: number;
  /** Set: the secret becomes `state: error` with this text. */
  errorText?: string;
  /** When the worker may try again; null when it must not (error state). */
  nextAttemptAt: Date | null;
}

export function decideFailure(input: FailureInput, random: () => number = Math.random): FailureDecision {
  const failureCount = input.previousFailures + 1;
  if (input.kind === 'rejected') {
    return { failureCount, errorText: rejectionText(input.detail), nextAttemptAt: null };
  }
  const expired = input.expiresAt !== null && input.expiresAt.getTime() <= input.now.getTime();
  if (input.trigger === 'worker' && expired && failureCount >= MIN_FAILURES_BEFORE_ERROR) {
    return {
      failureCount,
      errorText:
        `The access token expired and could not be renewed: ${failureCount} consecutive refresh attempts ` +
        `failed (last: ${input.kind.replace('_', ' ')}: ${input.detail}) Refresh it again once the provider ` +
        'is reachable, or re-authorize and PATCH new credentials.',
      nextAttemptAt: null,
    };
  }
  return {
    failureCount,
    nextAttemptAt: new Date(input.now.getTime() + backoffDelayMs(failureCount, random)),
  };
}

function rejectionText(detail: string): string {
  const clientProblem = /^(invalid_client|unauthorized_client|unsupported_grant_type)\b/.test(detail);
  return clientProblem
    ? `The OAuth provider rejected the auth-client (${detail}). Check its client_id, client_secret and ` +
        'auth_method, then refresh this secret again.'
    : `The OAuth provider rejected the refresh token (${detail}). Re-authorize the account and PATCH ` +
        'new credentials, then refresh again.';
}
