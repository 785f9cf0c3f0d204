// Decides which PostgreSQL the process talks to: DATABASE_URL when given, else the embedded one in
// dataDir, started here or (for the admin CLI) borrowed from the server process already running it.
import {
  type DbLogger,
  EmbeddedPostgresInUseError,
  embeddedUrl,
  SOCKET_FILE_NAME,
  startEmbeddedPostgres,
} from './embedded-postgres.js';

export interface OpenDatabaseOptions {
  databaseUrl?: string;
  dataDir: string;
  // 'server' owns the embedded database; 'client' (the admin CLI) may use a running server's.
  role: 'server' | 'client';
  logger?: DbLogger;
}

export interface Database {
  url: string;
  /** The embedded PGlite: one connection per process (EMBEDDED_POOL_MAX), no server-side timeouts. */
  embedded: boolean;
  close(): Promise<void>;
}

export async function openDatabase(opts: OpenDatabaseOptions): Promise<Database> {
  if (opts.databaseUrl) {
    return { url: opts.databaseUrl, embedded: false, close: async () => {} };
  }
  try {
    // Starting is also the check: the lock on dataDir guarantees no two processes open the PGlite
    // files at once, and a live holder comes back as EmbeddedPostgresInUseError with its socket.
    const pg = await startEmbeddedPostgres({ dataDir: opts.dataDir, logger: opts.logger });
    return { url: pg.url, embedded: true, close: pg.stop };
  } catch (err) {
    if (opts.role !== 'client' || !(err instanceof EmbeddedPostgresInUseError) || !err.info) throw err;
    const { pid, socketDir } = err.info;
    opts.logger?.info(`using the embedded PostgreSQL of process ${pid} on ${socketDir}/${SOCKET_FILE_NAME}`);
    // Not ours to stop: close() leaves the server process and its database alone.
    return { url: embeddedUrl(socketDir), embedded: true, close: async () => {} };
  }
}
