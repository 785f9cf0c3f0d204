// Embedded PostgreSQL: PGlite (Postgres compiled to WebAssembly) served over the wire protocol by
// pglite-socket, so the rest of the service keeps one `pg`/Prisma code path (docs/adr/0001).
// PGlite accepts any user and password, so what keeps other users of the machine out is the file
// system: it is served on a Unix socket (0600) in DATA_DIR (0700), never on TCP, and DATA_DIR's
// files are the service user's alone (API.md §7).
import { chmod, mkdtemp, readFile, rename, rm, rmdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, isAbsolute, join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import lockfile from 'proper-lockfile';
import { makePrivateDir, restrictTree, restrictUmask } from '../security/private-files.js';
import { EMBEDDED_PGLITE_OPTIONS, initializeInChild, isInitialized } from './embedded-initdb.js';

// Pool size for clients of the embedded server. PGlite is ONE single-threaded backend session and
// pglite-socket multiplexes every socket connection onto it (test/db/embedded-postgres.test.ts):
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
// The file name libpq and `pg` look for in a socket directory given as the host, at the default port.
export const SOCKET_FILE_NAME = '.s.PGSQL.5432';
// sun_path holds 108 bytes on Linux and 104 on macOS, the terminating NUL included.
const MAX_SOCKET_PATH_BYTES = process.platform === 'linux' ? 107 : 103;
// A DATA_DIR too deep for a socket path gets a private directory with this prefix under the temp dir.
const FALLBACK_SOCKET_DIR_PREFIX = 'auth-secrets-pg-';
// A lock whose mtime is older than this belongs to a dead process (SIGKILL leaves it behind).
const DEFAULT_LOCK_STALE_MS = 10_000;

export interface DbLogger {
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

export interface EmbeddedServerInfo {
  /** The directory holding the socket (SOCKET_FILE_NAME): DATA_DIR, or the fallback for long paths. */
  socketDir: string;
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
        ? `DATA_DIR ${dataDir} is in use by process ${info.pid} (embedded PostgreSQL on ${join(info.socketDir, SOCKET_FILE_NAME)})`
        : `DATA_DIR ${dataDir} is locked by another process that has not published its socket`,
    );
    this.name = 'EmbeddedPostgresInUseError';
  }
}

export const serverInfoPath = (dataDir: string): string => join(dataDir, 'embedded-postgres.json');
const lockPath = (dataDir: string): string => join(dataDir, 'embedded-postgres.lock');

/** A URL for the socket in `socketDir`: libpq and `pg` let a `host` parameter naming a directory win. */
export function embeddedUrl(socketDir: string): string {
  // PGlite accepts any credentials; these keep libpq-style clients from prompting. `localhost` only
  // keeps the URL parseable by WHATWG URL (which refuses credentials with an empty host).
  return `postgresql://postgres:postgres@localhost/postgres?host=${encodeURIComponent(socketDir)}`;
}

export async function readEmbeddedServerInfo(dataDir: string): Promise<EmbeddedServerInfo | null> {
  try {
    const info = JSON.parse(await readFile(serverInfoPath(dataDir), 'utf8')) as EmbeddedServerInfo;
    const valid =
      typeof info.socketDir === 'string' && isAbsolute(info.socketDir) && typeof info.pid === 'number';
    return valid ? info : null;
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

const fitsSocketPath = (dir: string) =>
  Buffer.byteLength(join(dir, SOCKET_FILE_NAME)) <= MAX_SOCKET_PATH_BYTES;

// A fresh private directory for the socket under the temp dir (mkdtemp creates it 0700, with a random
// name nobody else can take over in a sticky /tmp), for a DATA_DIR whose path is too long for a socket.
async function makeFallbackSocketDir(tooLong: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), FALLBACK_SOCKET_DIR_PREFIX));
  if (fitsSocketPath(dir)) return dir;
  await rmdir(dir);
  throw new Error(
    `${tooLong} is too long for a Unix socket path (at most ${MAX_SOCKET_PATH_BYTES} bytes with ` +
      `/${SOCKET_FILE_NAME}), and so is the temporary directory ${tmpdir()}: ` +
      'set DATA_DIR (or TMPDIR) to a shorter path',
  );
}

const isFallbackSocketDir = (dir: string) =>
  dirname(dir) === tmpdir() && basename(dir).startsWith(FALLBACK_SOCKET_DIR_PREFIX);

// Removes the socket and, for a fallback directory, the directory itself. Only the socket file is
// deleted, so a directory that unexpectedly holds anything else is left alone (rmdir fails).
async function removeSocket(socketDir: string): Promise<void> {
  await rm(join(socketDir, SOCKET_FILE_NAME), { force: true });
  if (isFallbackSocketDir(socketDir)) await rmdir(socketDir).catch(() => {});
}

async function serve(db: PGlite, socketDir: string): Promise<PGLiteSocketServer> {
  const socketPath = join(socketDir, SOCKET_FILE_NAME);
  // A socket file left by a SIGKILLed owner makes listen() fail with EADDRINUSE; the caller holds the
  // lock (or made the directory), so nobody else serves on it.
  await rm(socketPath, { force: true });
  const server = new PGLiteSocketServer({
    db: guardProtocolBatches(db),
    path: socketPath,
    maxConnections: MAX_SOCKET_CONNECTIONS,
  });
  await server.start();
  // listen() creates the socket with 0777 minus the umask; connecting takes read and write. Nobody
  // else can reach it before this chmod either: its directory is already 0700.
  await chmod(socketPath, 0o600);
  return server;
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
  // Before anything is created: PGlite makes directories with 0777 minus the umask.
  restrictUmask();
  makePrivateDir(dataDir);
  let stop: () => Promise<void> = async () => {};
  const release = await acquireLock(dataDir, opts.lockStaleMs ?? DEFAULT_LOCK_STALE_MS, (err) => {
    // Another process may take the data over from here on: stop serving rather than share the files.
    logger?.error(`embedded PostgreSQL lost its lock on ${dataDir}: ${err.message}; stopping`);
    void stop();
  });
  let db: PGlite | undefined;
  let server: PGLiteSocketServer | undefined;
  let socketDir: string | undefined;
  stop = once(async () => {
    await server?.stop();
    await db?.close(); // shuts Postgres down cleanly (checkpoint) so the next start needs no recovery
    await rm(serverInfoPath(dataDir), { force: true });
    if (socketDir) await removeSocket(socketDir);
    await release().catch(() => {}); // already gone if the lock was compromised
  });
  try {
    // What a SIGKILLed server left: its info must not send clients to a dead socket, and a fallback
    // socket directory of its own would stay in the temp dir forever.
    const stale = await readEmbeddedServerInfo(dataDir);
    // (A live pid means DATA_DIR was copied while its server ran: that directory is still in use.)
    if (stale && isFallbackSocketDir(stale.socketDir) && !isProcessAlive(stale.pid)) {
      await removeSocket(stale.socketDir);
    }
    await rm(serverInfoPath(dataDir), { force: true });
    // Data directories written by older versions (or under another umask) have files open to
    // everyone; PGlite's first start then adds its initial cluster with 0666 files.
    const loosened = restrictTree(dataDir);
    if (loosened > 0)
      logger?.warn(`made ${loosened} files and directories in ${dataDir} private to this user`);
    socketDir = fitsSocketPath(dataDir) ? dataDir : await makeFallbackSocketDir(dataDir);
    const pgdataDir = join(dataDir, 'pgdata');
    if (!isInitialized(pgdataDir)) await initializeInChild(pgdataDir);
    db = await PGlite.create(pgdataDir, EMBEDDED_PGLITE_OPTIONS);
    restrictTree(dataDir);
    server = await serve(db, socketDir);
    const info: EmbeddedServerInfo = { socketDir, pid: process.pid };
    const tmp = `${serverInfoPath(dataDir)}.${process.pid}.tmp`;
    await writeFile(tmp, `${JSON.stringify(info)}\n`, { mode: 0o600 });
    await rename(tmp, serverInfoPath(dataDir)); // readers never see a half-written file
    logger?.info(
      `embedded PostgreSQL on ${join(socketDir, SOCKET_FILE_NAME)} (${dataDir}), up in ${Date.now() - started} ms`,
    );
    return { url: embeddedUrl(socketDir), stop };
  } catch (err) {
    await stop().catch(() => {});
    throw err;
  }
}

// A throwaway in-memory server (no lock, no data files), e.g. to replay migrations for a diff. It is
// served on a socket in a private temporary directory too: nothing here listens on TCP.
export async function startInMemoryPostgres(): Promise<EmbeddedPostgres> {
  const db = await PGlite.create(EMBEDDED_PGLITE_OPTIONS);
  let socketDir: string | undefined;
  let server: PGLiteSocketServer | undefined;
  const stop = once(async () => {
    await server?.stop();
    await db.close();
    if (socketDir) await removeSocket(socketDir);
  });
  try {
    socketDir = await makeFallbackSocketDir(tmpdir());
    server = await serve(db, socketDir);
    return { url: embeddedUrl(socketDir), stop };
  } catch (err) {
    await stop().catch(() => {});
    throw err;
  }
}
