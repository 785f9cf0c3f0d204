/**
 * Associated-data strings that bind a ciphertext to its row. Every reader and writer of a sealed
 * column (API, refresher, rotate-keys) must build AAD here: a mismatch anywhere means the value
 * can never be opened again. The ids are immutable for the lifetime of a row, so they are safe
 * to bind; a blob copied into another row (or tenant) then fails to open.
 */

export interface AuthSecretAadParts {
  readonly tenantId: string;
  readonly workspaceId: string;
  readonly id: string;
}

export interface AuthClientAadParts {
  readonly tenantId: string;
  readonly id: string;
}

/** AAD for auth_secrets.credentials_sealed. The row id must be generated before sealing. */
export function authSecretAad({ tenantId, workspaceId, id }: AuthSecretAadParts): string {
  check({ tenantId, workspaceId, id });
  return `auth-secret:${tenantId}:${workspaceId}:${id}`;
}

export interface ConnectSessionAadParts {
  readonly tenantId: string;
  readonly workspaceId: string;
  readonly id: string;
}

/** AAD for connect_sessions.code_verifier_sealed (the PKCE verifier of one authorization request). */
export function connectSessionAad({ tenantId, workspaceId, id }: ConnectSessionAadParts): string {
  check({ tenantId, workspaceId, id });
  return `connect-session:${tenantId}:${workspaceId}:${id}`;
}

/**
 * AAD for auth_secret_versions.credentials_sealed: bound to the secret's row and the version
 * number, so a version cannot be opened as another version, another secret, or the live row.
 */
export function authSecretVersionAad(secret: AuthSecretAadParts, number: number): string {
  if (!Number.isSafeInteger(number) || number < 1)
    throw new TypeError('version number must be a positive integer');
  return `auth-secret-version:${authSecretAad(secret).slice('auth-secret:'.length)}:${number}`;
}

/** AAD for auth_clients.client_secret_sealed. */
export function authClientAad({ tenantId, id }: AuthClientAadParts): string {
  check({ tenantId, id });
  return `auth-client:${tenantId}:${id}`;
}

// An empty id (e.g. sealing before the row id was generated) would still encrypt fine but bind
// the value to the wrong AAD, and a ':' would make two different id tuples produce the same AAD.
function check(parts: Record<string, string>): void {
  for (const [name, value] of Object.entries(parts)) {
    if (typeof value !== 'string' || value === '' || value.includes(':')) {
      throw new TypeError(`AAD part "${name}" must be a non-empty string without ':'`);
    }
  }
}
