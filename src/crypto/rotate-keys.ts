/**
 * `rotate-keys`: re-seals every stored secret (auth-secret credentials and their versions, client
 * secrets, webhook signing secrets, connect-session PKCE verifiers) under the ring's active key so
 * old keys can be removed from ENCRYPTION_KEYS. Runs while the service keeps serving:
 *   - rows are paged by id (keyset; ids are UUIDv7) in small batches, no long transactions;
 *   - each write is conditional on the sealed column (and updatedAt) still holding what we read,
 *     so a concurrent API/refresher write always wins; we re-read that row and try again. A
 *     re-seal is not a new credentials write (credentials_version stays), so a refresh running
 *     meanwhile still stores the tokens the provider issued;
 *   - it is idempotent: rows already sealed with the active key are skipped, so it can be
 *     re-run after an interruption, and a run that re-seals 0 rows confirms completion.
 * Every instance must already run with the new key first in ENCRYPTION_KEYS, or they would keep
 * writing ciphertexts under the old key behind our back.
 */
import { DecryptionError, type DecryptionErrorCode, isSealedWithActiveKey, reseal } from './envelope.js';
import type { KeyRing } from './key-ring.js';
import {
  authClientColumn,
  authSecretColumn,
  authSecretVersionColumn,
  connectSessionColumn,
  type RotationTable,
  type SealedColumn,
  type SealedColumnsPrisma,
  type SealedRow,
  webhookColumn,
} from './sealed-columns.js';

export type { RotationTable } from './sealed-columns.js';

export interface RotationProgress {
  table: RotationTable;
  scanned: number;
  resealed: number;
  /** Writes that lost to a concurrent update and were retried after re-reading the row. */
  retries: number;
  failed: number;
}

export interface RotationFailure {
  table: RotationTable;
  id: string;
  /** 'contended': the row kept changing under us; re-running rotate-keys will pick it up. */
  code: DecryptionErrorCode | 'contended';
}

export interface RotateKeysOptions {
  prisma: SealedColumnsPrisma;
  ring: KeyRing;
  batchSize?: number;
  onProgress?: (progress: RotationProgress) => void;
}

export interface RotateKeysResult {
  /** Rows re-sealed (rows already under the active key are not counted). */
  authSecrets: number;
  /** Versions of auth-secret credentials (API.md §9.1): sealed like the secret, re-sealed too. */
  authSecretVersions: number;
  authClients: number;
  /** Webhook signing secrets (API.md §11). */
  webhooks: number;
  /** PKCE verifiers of connect sessions (API.md §10.2). */
  connectSessions: number;
}

/** Thrown after the full pass when some rows could not be re-sealed; do not drop old keys then. */
export class KeyRotationError extends Error {
  readonly result: RotateKeysResult;
  readonly failures: readonly RotationFailure[];

  constructor(result: RotateKeysResult, failures: readonly RotationFailure[]) {
    const listed = failures.slice(0, 20).map((f) => `${f.table} ${f.id} (${f.code})`);
    const more = failures.length > listed.length ? `, and ${failures.length - listed.length} more` : '';
    super(`Key rotation could not re-seal ${failures.length} row(s): ${listed.join(', ')}${more}`);
    this.name = 'KeyRotationError';
    this.result = result;
    this.failures = failures;
  }
}

const MAX_ATTEMPTS = 5;

export async function rotateKeys(options: RotateKeysOptions): Promise<RotateKeysResult> {
  const { prisma, ring, onProgress } = options;
  const batchSize = options.batchSize ?? 100;
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new RangeError('batchSize must be a positive integer');
  const failures: RotationFailure[] = [];
  const result: RotateKeysResult = {
    authSecrets: await rotateColumn(authSecretColumn(prisma), ring, batchSize, failures, onProgress),
    authSecretVersions: await rotateColumn(
      authSecretVersionColumn(prisma),
      ring,
      batchSize,
      failures,
      onProgress,
    ),
    authClients: await rotateColumn(authClientColumn(prisma), ring, batchSize, failures, onProgress),
    webhooks: await rotateColumn(webhookColumn(prisma), ring, batchSize, failures, onProgress),
    connectSessions: await rotateColumn(connectSessionColumn(prisma), ring, batchSize, failures, onProgress),
  };
  if (failures.length > 0) throw new KeyRotationError(result, failures);
  return result;
}

async function rotateColumn(
  column: SealedColumn,
  ring: KeyRing,
  batchSize: number,
  failures: RotationFailure[],
  onProgress: RotateKeysOptions['onProgress'],
): Promise<number> {
  const progress: RotationProgress = { table: column.table, scanned: 0, resealed: 0, retries: 0, failed: 0 };
  let afterId: string | undefined;
  for (;;) {
    const rows = await column.page(afterId, batchSize);
    for (const row of rows) {
      progress.scanned++;
      const outcome = await rotateRow(column, ring, row, progress);
      if (outcome === 'resealed') progress.resealed++;
      else if (outcome !== 'unchanged') {
        progress.failed++;
        failures.push({ table: column.table, id: row.id, code: outcome });
      }
    }
    // Once per batch; an empty trailing page after a full one adds nothing worth reporting.
    if (rows.length > 0 || afterId === undefined) onProgress?.({ ...progress });
    const last = rows.at(-1);
    if (!last || rows.length < batchSize) return progress.resealed;
    afterId = last.id;
  }
}

async function rotateRow(
  column: SealedColumn,
  ring: KeyRing,
  first: SealedRow,
  progress: RotationProgress,
): Promise<'resealed' | 'unchanged' | RotationFailure['code']> {
  let row: SealedRow | undefined = first;
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    if (!row) return 'unchanged'; // deleted meanwhile: nothing left to protect
    try {
      if (isSealedWithActiveKey(ring, row.sealed)) return 'unchanged';
      if (await column.replace(row, reseal(ring, row.sealed, row.aad))) return 'resealed';
    } catch (err) {
      // Keep going: one unreadable row must not block rotating the rest; it is reported at the end.
      if (err instanceof DecryptionError) return err.code;
      throw err;
    }
    progress.retries++;
    row = await column.reload(row.id);
  }
  return 'contended';
}
