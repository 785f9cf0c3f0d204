// Seeing credentials is its own permission (API.md §8.1). This file is the one place that decides
// whether a response carries an auth-secret's credentials and whether that response is a
// credential read (one `auth_secret.read` event per secret it discloses). Every use case that
// returns secrets (GET one, list, create, PATCH, refresh, and later versions) asks here, from the
// caller's permissions already resolved with the workspace: no extra lookup per request.
import { ApiError } from '../../errors/api-error.js';
import type { CallerWorkspace } from '../../permissions/access-policy.js';
import type { WorkspacePermission } from '../../permissions/permission-catalogue.js';

export const REVEAL_PERMISSION: WorkspacePermission = 'workspaces.auth_secret.reveal';

/**
 * Stands in for the credentials of a secret the caller may see but whose credentials it may not:
 * the serializer then leaves the `credentials` member out (absent, not null). A symbol, so it can
 * never be mistaken for stored credentials or for null (credentials that could not be decrypted).
 */
export const WITHHELD: unique symbol = Symbol('credentials withheld');
export type Withheld = typeof WITHHELD;

/** Whether the caller of this request may see credentials in this workspace. */
export function mayReveal(workspace: Pick<CallerWorkspace, 'callerPermissions'>): boolean {
  return workspace.callerPermissions.has(REVEAL_PERMISSION);
}

/**
 * The credentials a response may carry: `open()` is called only for a caller who may see them, so
 * nothing is decrypted for anyone else (and a secret whose key is missing still reads for them).
 */
export function credentialsFor<C>(workspace: CallerWorkspace, open: () => C): C | Withheld {
  return mayReveal(workspace) ? open() : WITHHELD;
}

/**
 * The problems of a read that names `credentials` in `fields[auth-secret]` without `reveal`:
 * asked for explicitly, they are refused (403) rather than silently left out. Checked before any
 * work, so a refused request changes and records nothing.
 */
export function revealProblems(
  workspace: CallerWorkspace,
  fields: readonly string[] | undefined,
  parameter: 'fields[auth-secret]' | 'fields[auth-secret-version]' = 'fields[auth-secret]',
) {
  if (!fields?.includes('credentials') || mayReveal(workspace)) return [];
  return [
    {
      status: 403,
      code: 'reveal_not_permitted',
      title: 'Forbidden',
      detail: `Seeing the credentials of auth-secrets requires the permission ${REVEAL_PERMISSION}; leave "credentials" out of ${parameter}.`,
      source: { parameter },
    },
  ];
}

/**
 * A secret as a write's response shows it (create, PATCH, refresh, restores): the credentials only
 * for a caller who may see them. The write itself never depends on it.
 */
export function shownToCaller<S extends { credentials: unknown }>(
  workspace: CallerWorkspace,
  secret: S,
): Omit<S, 'credentials'> & { credentials: S['credentials'] | Withheld } {
  return { ...secret, credentials: credentialsFor(workspace, () => secret.credentials) };
}

/** 403 reveal_not_permitted (see revealProblems). */
export function assertMayReveal(workspace: CallerWorkspace, fields: readonly string[] | undefined): void {
  const problems = revealProblems(workspace, fields);
  if (problems.length > 0) throw new ApiError(problems);
}

/**
 * Whether a read is a credential read to audit: the caller may see credentials and the sparse
 * fieldset, if any, keeps them (`fields[auth-secret]` without `credentials` discloses nothing).
 */
export function isCredentialRead(workspace: CallerWorkspace, fields: readonly string[] | undefined): boolean {
  return mayReveal(workspace) && (!fields || fields.includes('credentials'));
}
