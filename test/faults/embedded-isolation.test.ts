// API.md §7 "The embedded database is the service's alone", held against the real entry point: the
// server on the embedded default (no DATABASE_URL), started under the permissive umask 022 that most
// machines have, must expose its PGlite to nobody but its own user: no TCP listener besides the HTTP
// port, a Unix socket (0600) inside DATA_DIR (0700), no data file readable or writable by group or
// other, and the admin CLI still reaching the running server's database.
import assert from 'node:assert/strict';
import { chmod, lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { openDatabase } from '../../src/db/database.js';
import { type EmbeddedPostgres, startEmbeddedPostgres } from '../../src/db/embedded-postgres.js';
import { LISTENING_RE, type RunningProcess, runToEnd, startProcess, stopAll } from '../support/processes.js';

const PROMISE = "§7 the embedded database is the service's alone";
const START_TIMEOUT_MS = 120_000;

/** The server entry point on the embedded default, spawned with umask 022 (children inherit it). */
function startServer(env: Record<string, string>): RunningProcess {
  const previous = process.umask(0o022);
  try {
    return startProcess('src/server.ts', [], env);
  } finally {
    process.umask(previous);
  }
}

/** Inodes of the sockets process `pid` holds open (/proc/<pid>/fd/* -> "socket:[inode]"). */
async function socketInodes(pid: number): Promise<Set<string>> {
  const inodes = new Set<string>();
  for (const fd of await readdir(`/proc/${pid}/fd`)) {
    const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
    const m = /^socket:\[(\d+)\]$/.exec(target);
    if (m?.[1]) inodes.add(m[1]);
  }
  return inodes;
}

/** TCP ports process `pid` listens on (IPv4 and IPv6), from /proc/<pid>/net/tcp{,6}. */
async function tcpListenPorts(pid: number): Promise<number[]> {
  const mine = await socketInodes(pid);
  const ports = new Set<number>();
  for (const table of ['tcp', 'tcp6']) {
    const text = await readFile(`/proc/${pid}/net/${table}`, 'utf8').catch(() => '');
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      // sl local_address rem_address st … inode: st 0A is LISTEN.
      if (f.length < 10 || f[3] !== '0A' || !mine.has(f[9] as string)) continue;
      ports.add(Number.parseInt((f[1] as string).split(':')[1] as string, 16));
    }
  }
  return [...ports].sort((a, b) => a - b);
}

/** Paths of the Unix sockets process `pid` listens on, from /proc/<pid>/net/unix. */
async function unixListenPaths(pid: number): Promise<string[]> {
  const mine = await socketInodes(pid);
  const text = await readFile(`/proc/${pid}/net/unix`, 'utf8');
  const paths: string[] = [];
  for (const line of text.split('\n').slice(1)) {
    // Num RefCount Protocol Flags Type St Inode Path; flag 0x10000 is __SO_ACCEPTCON (listening).
    const f = line.trim().split(/\s+/);
    if (f.length < 8 || !mine.has(f[6] as string)) continue;
    if ((Number.parseInt(f[3] as string, 16) & 0x10000) === 0) continue;
    const p = f.slice(7).join(' ');
    if (p.startsWith('/')) paths.push(p); // abstract sockets start with '@'
  }
  return paths;
}

/** Tries a password-less login as an arbitrary user, as a local attacker would. */
async function connectsAsAnyone(port: number): Promise<boolean> {
  const client = new pg.Client({
    host: '127.0.0.1',
    port,
    user: 'anyone',
    password: 'guessed',
    database: 'postgres',
    connectionTimeoutMillis: 3_000,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

/** Every entry under `dir` (itself included) whose mode lets group or other in, or a dir not 0700. */
async function exposedEntries(dir: string): Promise<string[]> {
  const found: string[] = [];
  const visit = async (p: string) => {
    const st = await lstat(p);
    if (st.isSymbolicLink()) return;
    const mode = st.mode & 0o777;
    if (st.isDirectory() ? mode !== 0o700 : (mode & 0o077) !== 0) {
      found.push(`${mode.toString(8).padStart(4, '0')} ${path.relative(dir, p) || '.'}`);
    }
    if (st.isDirectory()) for (const name of await readdir(p)) await visit(path.join(p, name));
  };
  await visit(dir);
  return found;
}

/** "N entries, by mode: 0666×969, …" so a failure shows the scale, not a thousand paths. */
function summary(entries: string[]): string {
  const byMode = new Map<string, number>();
  for (const e of entries) {
    const mode = e.slice(0, 4);
    byMode.set(mode, (byMode.get(mode) ?? 0) + 1);
  }
  const modes = [...byMode].map(([m, n]) => `${m}×${n}`).join(', ');
  return `${entries.length} exposed entries (${modes}), e.g. ${entries.slice(0, 5).join('; ')}`;
}

async function loosen(dir: string): Promise<number> {
  // What an older version under umask 022 left behind: 0666 files, 0755 directories.
  let files = 0;
  const visit = async (p: string) => {
    const st = await lstat(p);
    if (st.isDirectory()) {
      await chmod(p, 0o755);
      for (const name of await readdir(p)) await visit(path.join(p, name));
    } else if (st.isFile()) {
      await chmod(p, 0o666);
      files++;
    }
  };
  await visit(dir);
  return files;
}

const basicAuth = (email: string, key: string) =>
  `Basic ${Buffer.from(`${email}:${key}`).toString('base64')}`;

async function status(port: number, p: string, auth: string): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${port}${p}`, { headers: { authorization: auth } });
  await res.arrayBuffer();
  return res.status;
}

describe(`${PROMISE} (server on the embedded default, umask 022)`, function () {
  this.timeout(60_000);
  let parent: string;
  let dataDir: string;
  let env: Record<string, string>;
  let server: RunningProcess;
  let httpPort: number;
  let admin: { email: string; api_key: string } | undefined;

  before(async function () {
    this.timeout(START_TIMEOUT_MS + 10_000);
    parent = await mkdtemp(path.join(os.tmpdir(), 'embedded-isolation-'));
    dataDir = path.join(parent, 'data'); // absent: the server creates it
    env = { DATA_DIR: dataDir, PORT: '0' };
    server = startServer(env);
    httpPort = Number((await server.waitFor(LISTENING_RE, START_TIMEOUT_MS))[1]);
  });

  after(async () => {
    await stopAll();
    await rm(parent, { recursive: true, force: true });
  });

  it(`${PROMISE}: no TCP socket accepts an unauthenticated connection`, async () => {
    const pid = server.child.pid as number;
    const ports = await tcpListenPorts(pid);
    assert.ok(ports.includes(httpPort), `the HTTP port ${httpPort} is among ${ports.join(', ')}`);
    const others = ports.filter((p) => p !== httpPort);
    const open: string[] = [];
    for (const p of others)
      open.push(`${p}${(await connectsAsAnyone(p)) ? ' (psql as "anyone" connected)' : ''}`);
    assert.deepEqual(open, [], `TCP listeners besides HTTP: ${open.join(', ')}`);
  });

  it(`${PROMISE}: the database listens on a Unix socket, mode 0600, inside the 0700 DATA_DIR`, async () => {
    const paths = await unixListenPaths(server.child.pid as number);
    assert.equal(paths.length, 1, `Unix listeners: ${JSON.stringify(paths)}`);
    const socket = paths[0] as string;
    assert.equal(path.dirname(socket), dataDir);
    assert.equal(path.basename(socket), '.s.PGSQL.5432', 'named as libpq and pg look for it');
    assert.equal((await stat(socket)).mode & 0o777, 0o600);
    assert.equal((await stat(dataDir)).mode & 0o777, 0o700);
  });

  it(`${PROMISE}: no file under DATA_DIR is readable or writable by group or other, dirs 0700`, async () => {
    const exposed = await exposedEntries(dataDir);
    assert.equal(exposed.length, 0, summary(exposed));
  });

  it(`${PROMISE}: the admin CLI still bootstraps through the running server's database`, async () => {
    const boot = await runToEnd(
      'src/cli.ts',
      ['bootstrap', '--tenant', 'Isolation', '--email', 'ops@example.test'],
      env,
      60_000,
    );
    assert.equal(boot.code, 0, boot.stderr);
    admin = JSON.parse(boot.stdout.trim()) as { email: string; api_key: string };
    assert.equal(await status(httpPort, '/v2/users/me', basicAuth(admin.email, admin.api_key)), 200);
  });

  it(`${PROMISE}: a data directory an older version left with 0666 files is made private at start`, async function () {
    this.timeout(START_TIMEOUT_MS + 30_000);
    server.child.kill('SIGTERM');
    assert.equal(await server.exited(), 0, server.output());
    const loosened = await loosen(dataDir);
    assert.ok(loosened > 100, `loosened ${loosened} files`);
    assert.ok((await exposedEntries(dataDir)).length > 100);

    server = startServer(env);
    httpPort = Number((await server.waitFor(LISTENING_RE, START_TIMEOUT_MS))[1]);
    const exposed = await exposedEntries(dataDir);
    assert.equal(exposed.length, 0, summary(exposed));
    assert.match(server.output(), /made \d+ files and directories in .* private to this user/);
    assert.deepEqual(await tcpListenPorts(server.child.pid as number), [httpPort]);
    if (admin) {
      // The same data, and the same generated key, after the fix-up.
      assert.equal(await status(httpPort, '/v2/users/me', basicAuth(admin.email, admin.api_key)), 200);
    }
  });
});

describe(`${PROMISE} (DATA_DIR too long for a Unix socket path)`, function () {
  this.timeout(90_000);
  let parent: string;
  let dataDir: string;
  let embedded: EmbeddedPostgres | undefined;

  before(async () => {
    parent = await mkdtemp(path.join(os.tmpdir(), 'embedded-long-'));
    // Linux allows 107 bytes in a socket path; this directory alone is longer.
    dataDir = path.join(parent, 'a'.repeat(60), 'b'.repeat(60));
    await mkdir(dataDir, { recursive: true });
  });
  after(async () => {
    await embedded?.stop();
    await rm(parent, { recursive: true, force: true });
  });

  it(`${PROMISE}: a long DATA_DIR serves on a 0600 socket in a private 0700 directory under the temp dir`, async () => {
    const previous = process.umask(0o022);
    try {
      embedded = await startEmbeddedPostgres({ dataDir });
    } finally {
      process.umask(previous);
    }
    const socketDir = new URL(embedded.url).searchParams.get('host') ?? '';
    assert.ok(socketDir.startsWith('/'), `the URL names a socket directory: ${embedded.url}`);
    assert.ok(socketDir.startsWith(os.tmpdir()), `${socketDir} is under ${os.tmpdir()}`);
    assert.equal((await stat(socketDir)).mode & 0o777, 0o700);
    assert.equal((await stat(path.join(socketDir, '.s.PGSQL.5432'))).mode & 0o777, 0o600);
    const exposed = await exposedEntries(dataDir);
    assert.equal(exposed.length, 0, summary(exposed));

    // The admin CLI's path: the server is running (here: this process), so it borrows its socket.
    const borrowed = await openDatabase({ dataDir, role: 'client' });
    assert.equal(borrowed.url, embedded.url);
    const client = new pg.Client(borrowed.url);
    await client.connect();
    try {
      assert.deepEqual((await client.query('SELECT 1 AS one')).rows, [{ one: 1 }]);
    } finally {
      await client.end();
      await borrowed.close();
    }

    await embedded.stop();
    embedded = undefined;
    await assert.rejects(stat(socketDir), /ENOENT/, 'the fallback directory is removed on stop');
  });
});
