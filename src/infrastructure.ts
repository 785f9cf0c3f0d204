// Opens what the service stands on, in order: the key ring (fail fast), the database
// (embedded PGlite or DATABASE_URL), pending migrations, the Prisma client, the built-in roles.
// Shared by the server, the worker and the admin command line.
import type { Logger } from 'pino';
import type { Config } from './config/config.js';
import { loadOrCreateKeyFile } from './crypto/key-file.js';
import { type KeyRing, parseKeyRing } from './crypto/key-ring.js';
import { openDatabase } from './db/database.js';
import { EMBEDDED_POOL_MAX } from './db/embedded-postgres.js';
import { applyMigrations } from './db/migrator.js';
import { createPrismaClient } from './db/prisma-client.js';
import type { PrismaClient } from './generated/prisma/client.js';
import { ensureBuiltInRoles } from './modules/roles/built-in-roles.js';

export interface Infrastructure {
  prisma: PrismaClient;
  keyRing: KeyRing;
  /** True when the database is the embedded PGlite (one process owns it). */
  embedded: boolean;
  close(): Promise<void>;
}

export class StartupError extends Error {
  override name = 'StartupError';
}

/** API.md §6: keys from ENCRYPTION_KEYS; else a generated key file, but only on the embedded default. */
export function loadKeyRing(config: Config, logger: Logger): KeyRing {
  if (config.encryptionKeys) {
    const ring = parseKeyRing(config.encryptionKeys);
    // Ids only. Lets an operator check each step of a rolling key rotation on every process.
    logger.info(
      { sealingKey: ring.activeKeyId, decryptOnlyKeys: ring.keyIds.slice(1) },
      'encryption keys loaded: the first seals, the others only decrypt',
    );
    return ring;
  }
  if (config.databaseUrl) {
    throw new StartupError(
      'ENCRYPTION_KEYS is required when DATABASE_URL is set: a generated key on one machine would make ' +
        'the data unreadable to every other process. Generate one with `npm run cli -- generate-key`.',
    );
  }
  const file = loadOrCreateKeyFile(config.dataDir);
  if (file.created) {
    logger.warn(
      { path: file.path },
      'ENCRYPTION_KEYS is not set: generated an encryption key file under DATA_DIR. Back it up; without it the stored credentials cannot be read.',
    );
  }
  return parseKeyRing(file.spec, { source: file.path });
}

export async function openInfrastructure(
  config: Config,
  logger: Logger,
  role: 'server' | 'client',
): Promise<Infrastructure> {
  const keyRing = loadKeyRing(config, logger);
  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, role, logger });
  try {
    const { applied, modified } = await applyMigrations(db.url);
    if (applied.length > 0) logger.info({ applied }, 'applied database migrations');
    if (modified.length > 0) {
      // As `prisma migrate deploy`, an applied migration is never re-run; an edited file is a mistake
      // (the database does not hold what it now says): write a new migration instead.
      logger.warn({ modified }, 'applied migrations whose migration.sql changed since; not re-applied');
    }
    const prisma = createPrismaClient({
      url: db.url,
      poolMax: db.embedded ? EMBEDDED_POOL_MAX : config.databasePoolMax,
      embedded: db.embedded,
      // Requests must end before REQUEST_TIMEOUT_MS (API.md §7). The admin command line serves no
      // request and may run long statements (key rotation over many rows): it keeps no bounds.
      ...(role === 'server' ? { timeouts: config.databaseTimeouts } : {}),
    });
    await ensureBuiltInRoles(prisma);
    return {
      prisma,
      keyRing,
      embedded: db.embedded,
      async close() {
        await prisma.$disconnect();
        await db.close();
      },
    };
  } catch (err) {
    await db.close();
    throw err;
  }
}
