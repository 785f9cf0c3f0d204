// Embedded PostgreSQL: PGlite (Postgres compiled to WebAssembly) served over the wire protocol by
// pglite-socket, so the rest of the service keeps one `pg`/Prisma code path (docs/adr/0001).
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import lockfile from 'proper-lockfile';

// Pool size for clients of the embedded server. PGlite is ONE single-threaded backend session and
// pglite-socket multiplexes every TCP connection onto it (test/db/embedded-postgres.test.ts):
// - while connection A is inside BEGIN…COMMIT, statements from connection B are parked in the
//   multiplexer's queue until A ends (no interleaving inside a transaction, but no parallelism either);
//   code that awaits B while holding a transaction on A hangs, and nothing times the wait out;
// - session state is shared: `SET` on A is visible on B (one session, not one per connection);
// - upstream, the queue switches connections per protocol MESSAGE, not per statement: a Bind too
//   big for one socket read lets another connection's Parse replace the unnamed statement in between
//   (seen: a 4 MB text parameter bound to the other connection's `$1::int`). guardProtocolBatches
//   below closes that hole, which matters even with pool size 1 (server + admin CLI + worker).
// So several pooled connections buy nothing and add hazards: use one per process.
export const EMBEDDED_POOL_MAX = 1;
// Connections the socket accepts in total (each process uses EMBEDDED_POOL_MAX of them).
const MAX_SOCKET_CONNECTIONS = 16;
// A lock whose mtime is older than this belongs to a dead process (SIGKILL leaves it behind).
const DEFAULT_LOCK_STALE_MS = 10_000;

export interface DbLogger {
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

export interface EmbeddedServerInfo {
  host: string;
  port: number;
  pid: number;
}

export interface EmbeddedPostgres {
  url: string;
  stop(): Promise<void>;
}

export class EmbeddedPostgresInUseError extends Error {
  constructor(
    readonly dataDir: string,
    readonly info: EmbeddedServerInfo | null,
  ) {
    super(
      info
        ? `DATA_DIR ${dataDir} is in use by process ${info.pid} (embedded PostgreSQL on ${info.host}:${info.port})`
        : `DATA_DIR ${dataDir} is locked by another process that has not published its port`,
    );
    this.name = 'EmbeddedPostgresInUseError';
  }
}

export const portFilePath = (dataDir: string): string => join(dataDir, 'embedded-postgres.json');
const lockPath = (dataDir: string): string => join(dataDir, 'embedded-postgres.lock');

export function embeddedUrl(info: Pick<EmbeddedServerInfo, 'host' | 'port'>): string {
  // PGlite accepts any credentials; these keep libpq-style clients from prompting.
  return `postgresql://postgres:postgres@${info.host}:${info.port}/postgres`;
}

export async function readEmbeddedServerInfo(dataDir: string): Promise<EmbeddedServerInfo | null> {
  try {
    const info = JSON.parse(await readFile(portFilePath(dataDir), 'utf8')) as EmbeddedServerInfo;
    return typeof info.port === 'number' && typeof info.pid === 'number' ? info : null;
  } catch {
    return null; // absent or half-written: treated as "not published yet"
  }
}

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// Takes the exclusive lock on dataDir. proper-lockfile refreshes the lock's mtime while we live, so a
// SIGKILLed holder's lock goes stale after staleMs and is then taken over. A holder whose published
// pid is alive fails fast; a dead or still-starting holder is waited for (it publishes or goes stale).
// A first start (initdb) can take 15 s on a busy machine, hence the generous deadline.
async function acquireLock(dataDir: string, staleMs: number, onCompromised: (err: Error) => void) {
  const deadline = Date.now() + staleMs + 60_000;
  for (;;) {
    try {
      return await lockfile.lock(dataDir, {
        lockfilePath: lockPath(dataDir),
        stale: staleMs,
        update: Math.max(1_000, Math.floor(staleMs / 5)),
        realpath: false,
        onCompromised,
      });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ELOCKED') throw err;
    }
    const info = await readEmbeddedServerInfo(dataDir);
    if (info && isProcessAlive(info.pid)) throw new EmbeddedPostgresInUseError(dataDir, info);
    if (Date.now() > deadline) throw new EmbeddedPostgresInUseError(dataDir, null);
    await sleep(250);
  }
}

// Reads backend message framing across chunks to learn whether a response ended in ReadyForQuery.
class BackendMessageTracker {
  private readonly header = Buffer.alloc(5);
  private headerLen = 0;
  private remaining = 0;
  private lastType = -1;
  feed(chunk: Uint8Array): void {
    for (let i = 0; i < chunk.length; ) {
      if (this.remaining > 0) {
        const n = Math.min(this.remaining, chunk.length - i);
        this.remaining -= n;
        i += n;
        continue;
      }
      this.header[this.headerLen++] = chunk[i++] as number;
      if (this.headerLen === 5) {
        this.lastType = this.header[0] as number;
        this.remaining = this.header.readInt32BE(1) - 4;
        this.headerLen = 0;
      }
    }
  }
  get endedReadyForQuery(): boolean {
    return this.lastType === 0x5a /* 'Z' */ && this.remaining === 0 && this.headerLen === 0;
  }
}

const TERMINATE = 0x58; // 'X'
const SYNC_MESSAGE = new Uint8Array([0x53, 0, 0, 0, 4]); // 'S', length 4

// pglite-socket only keeps the database to one connection while isInTransaction() is true. Reporting
// "in transaction" until the backend answers ReadyForQuery extends that to a whole extended-protocol
// batch (Parse…Sync), COPY and the startup handshake, so connections can no longer interleave inside
// one. Everything else passes through to the real PGlite (bound, as PGlite uses #private fields).
function guardProtocolBatches(db: PGlite): PGlite {
  let midBatch = false;
  const overrides: Record<string | symbol, unknown> = {
    isInTransaction: () => !db.closed && (midBatch || db.isInTransaction()),
    execProtocolRawStream: async (message: Uint8Array, options: { onRawData: (d: Uint8Array) => void }) => {
      const tracker = new BackendMessageTracker();
      await db.execProtocolRawStream(message, {
        ...options,
        onRawData: (data) => {
          tracker.feed(data);
          options.onRawData(data);
        },
      });
      midBatch = message[0] !== TERMINATE && !tracker.endedReadyForQuery;
    },
    // The multiplexer calls exec only to ROLLBACK after its connection vanished. Finish any batch that
    // client left half-sent first, or the backend would skip the ROLLBACK waiting for a Sync.
    exec: async (query: string) => {
      if (db.closed) return [];
      if (midBatch) await db.execProtocolRaw(SYNC_MESSAGE);
      midBatch = false;
      return db.exec(query);
    },
  };
  return new Proxy(db, {
    get(target, prop) {
      if (Object.hasOwn(overrides, prop)) return overrides[prop];
      const value = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

async function serve(db: PGlite): Promise<{ server: PGLiteSocketServer; host: string; port: number }> {
  const server = new PGLiteSocketServer({
    db: guardProtocolBatches(db),
    host: '127.0.0.1',
    port: 0,
    maxConnections: MAX_SOCKET_CONNECTIONS,
  });
  await server.start();
  const conn = server.getServerConn();
  const sep = conn.lastIndexOf(':');
  return { server, host: conn.slice(0, sep), port: Number(conn.slice(sep + 1)) };
}

// Runs `fn` once however often stop() is called, concurrently or not.
function once(fn: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | undefined;
  return () => {
    done ??= fn();
    return done;
  };
}

export async function startEmbeddedPostgres(opts: {
  dataDir: string;
  logger?: DbLogger;
  // Tests shorten it; every process sharing a dataDir must use the same value.
  lockStaleMs?: number;
}): Promise<EmbeddedPostgres> {
  const { dataDir, logger } = opts;
  const started = Date.now();
  await mkdir(dataDir, { recursive: true });
  let stop: () => Promise<void> = async () => {};
  const release = await acquireLock(dataDir, opts.lockStaleMs ?? DEFAULT_LOCK_STALE_MS, (err) => {
    // Another process may take the data over from here on: stop serving rather than share the files.
    logger?.error(`embedded PostgreSQL lost its lock on ${dataDir}: ${err.message}; stopping`);
    void stop();
  });
  let db: PGlite | undefined;
  let server: PGLiteSocketServer | undefined;
  stop = once(async () => {
    await server?.stop();
    await db?.close(); // shuts Postgres down cleanly (checkpoint) so the next start needs no recovery
    await rm(portFilePath(dataDir), { force: true });
    await release().catch(() => {}); // already gone if the lock was compromised
  });
  try {
    // A port file left by a SIGKILLed server must not send clients to a dead (or reused) port.
    await rm(portFilePath(dataDir), { force: true });
    db = await PGlite.create(join(dataDir, 'pgdata'));
    const served = await serve(db);
    server = served.server;
    const info: EmbeddedServerInfo = { host: served.host, port: served.port, pid: process.pid };
    const tmp = `${portFilePath(dataDir)}.${process.pid}.tmp`;
    await writeFile(tmp, `${JSON.stringify(info)}\n`);
    await rename(tmp, portFilePath(dataDir)); // readers never see a half-written file
    logger?.info(
      `embedded PostgreSQL on ${served.host}:${served.port} (${dataDir}), up in ${Date.now() - started} ms`,
    );
    return { url: embeddedUrl(info), stop };
  } catch (err) {
    await stop().catch(() => {});
    throw err;
  }
}

// A throwaway in-memory server (no lock, no files), e.g. to replay migrations for a diff.
export async function startInMemoryPostgres(): Promise<EmbeddedPostgres> {
  const db = await PGlite.create();
  const { server, host, port } = await serve(db);
  return {
    url: embeddedUrl({ host, port }),
    stop: once(async () => {
      await server.stop();
      await db.close();
    }),
  };
}
