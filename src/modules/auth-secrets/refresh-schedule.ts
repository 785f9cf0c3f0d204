// When the refresh worker renews a token (API.md §10.1). Stored per secret as refresh_due_at
// whenever a token or the client's timing is written, so that the worker's claim stays one range
// of one index however the margins differ between clients.
//
//  - Before expiry by the client's refresh_margin_seconds, or REFRESH_AHEAD_SECONDS without one,
//    but never by more than half the token's lifetime: a 10-minute token under a 15-minute margin
//    would otherwise be due the moment it is stored and be renewed in a loop (Nango #748).
//  - And at most refresh_every_seconds after the token was obtained: providers expire refresh
//    tokens that go unused (Google test apps after 7 days), so a long-lived token is renewed anyway.
//  - Neither known (no expiry, no keep-alive): never due; on-demand refreshes still work.

export interface RefreshTiming {
  /** The client's refresh_margin_seconds (null: the service default). */
  marginSeconds: number | null;
  /** The client's refresh_every_seconds (null: no keep-alive). */
  everySeconds: number | null;
}

export function refreshDueAt(
  expiresAt: Date | null,
  obtainedAt: Date,
  timing: RefreshTiming,
  defaultMarginSeconds: number,
): Date | null {
  const candidates: number[] = [];
  if (expiresAt !== null) {
    const lifetimeMs = Math.max(0, expiresAt.getTime() - obtainedAt.getTime());
    const marginMs = Math.min((timing.marginSeconds ?? defaultMarginSeconds) * 1000, lifetimeMs / 2);
    candidates.push(expiresAt.getTime() - marginMs);
  }
  if (timing.everySeconds !== null) candidates.push(obtainedAt.getTime() + timing.everySeconds * 1000);
  return candidates.length > 0 ? new Date(Math.min(...candidates)) : null;
}

/**
 * The same rule in SQL, for re-scheduling every secret of a client whose timing changed (table
 * alias `s`; $margin and $every in seconds, $every may be NULL). The instant the token was obtained
 * is taken as the later of the last refresh and the creation: credentials PATCHed since count from
 * before (which can only make the secret due earlier, never loop). LEAST ignores NULLs.
 */
export const REFRESH_DUE_SQL = `LEAST(
  s.expires_at - LEAST(
    make_interval(secs => $1::int),
    GREATEST(interval '0 seconds', s.expires_at - GREATEST(s.refreshed_at, s.created_at)) / 2
  ),
  GREATEST(s.refreshed_at, s.created_at) + make_interval(secs => $2::int)
)`;
