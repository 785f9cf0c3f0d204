// Strong ETags and If-Match for auth-secrets (API.md §9.3). The tag is a hash of fields the row
// already carries, so the GET hot path makes no extra query: updated_at moves with every change a
// client can see (PATCH, a refresh, a failed refresh that sets state error), credentials_version
// with every new credentials write; the few visible attributes are hashed too so that two writes
// within the same millisecond still give different tags. A re-seal by rotate-keys changes neither,
// and nothing a client sees, so the tag stays.
import { createHash } from 'node:crypto';
import { ApiError } from '../../errors/api-error.js';
import type { AuthSecret } from '../../generated/prisma/client.js';

export type EtagSource = Pick<
  AuthSecret,
  'id' | 'updatedAt' | 'credentialsVersion' | 'name' | 'state' | 'error' | 'authClientId'
>;

/** The strong entity tag of a secret as stored, quoted as the ETag header carries it. */
export function secretEtag(row: EtagSource): string {
  const hash = createHash('sha256')
    .update(
      JSON.stringify([
        row.id,
        row.updatedAt.getTime(),
        row.credentialsVersion,
        row.name,
        row.state,
        row.error,
        row.authClientId,
      ]),
    )
    .digest('base64url')
    .slice(0, 32);
  return `"${hash}"`;
}

/** An If-Match condition: any current representation (`*`) or one of these strong tags. */
export type IfMatch = { any: true } | { any: false; tags: string[] };

/**
 * Parses an If-Match header (RFC 9110 §13.1.1). Undefined without the header. Weak tags (`W/"…"`)
 * never match (If-Match compares strongly), and neither does anything that is not an entity tag:
 * a malformed header fails the precondition rather than being ignored.
 */
export function parseIfMatch(header: string | undefined): IfMatch | undefined {
  if (header === undefined) return undefined;
  if (header.trim() === '*') return { any: true };
  const tags = header
    .split(',')
    .map((t) => t.trim())
    .filter((t) => /^"[\x21\x23-\x7e]*"$/.test(t));
  return { any: false, tags };
}

/** Whether a secret whose current tag is `etag` satisfies the condition (none given: yes). */
export function satisfies(condition: IfMatch | undefined, etag: string): boolean {
  return condition === undefined || condition.any || condition.tags.includes(etag);
}

export const preconditionFailed = () =>
  new ApiError({
    status: 412,
    code: 'precondition_failed',
    title: 'Precondition failed',
    detail:
      'The auth-secret changed since the ETag given in If-Match was issued (or the header names no current ' +
      'ETag). Nothing was changed: GET it again and retry with its new ETag.',
    source: { header: 'If-Match' },
  });

/** Throws 412 unless the secret as locked now matches the condition. */
export function assertIfMatch(condition: IfMatch | undefined, row: EtagSource): void {
  if (!satisfies(condition, secretEtag(row))) throw preconditionFailed();
}
