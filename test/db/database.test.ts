import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { access, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { type Database, openDatabase } from '../../src/db/database.js';
import {
  readEmbeddedServerInfo,
  serverInfoPath,
  startEmbeddedPostgres,
} from '../../src/db/embedded-postgres.js';

const LOCK_STALE_MS = 2_000;

async function selectOne(url: string): Promise<number> {
  const client = new pg.Client(url);
  await client.connect();
  try {
    return (await client.query('SELECT 1 AS one')).rows[0].one;
  } finally {
    await client.end();
  }
}

// Another process owning the embedded database, as the running server does for the admin CLI.
// It stops cleanly when its stdin closes, or can be SIGKILLed.
async function spawnEmbeddedServer(dataDir: string): Promise<{ child: ChildProcess; url: string }> {
  const module = pathToFileURL(resolve('src/db/embedded-postgres.ts')).href;
  const code = `
    import { startEmbeddedPostgres } from ${JSON.stringify(module)};
    const pg = await startEmbeddedPostgres({ dataDir: process.env.CHILD_DATA_DIR, lockStaleMs: ${LOCK_STALE_MS} });
    console.log(JSON.stringify({ url: pg.url }));
    process.stdin.on('end', async () => { await pg.stop(); process.exit(0); });
    process.stdin.resume();`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
    env: { ...process.env, CHILD_DATA_DIR: dataDir },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const [line] = (await Promise.race([
    once(lines, 'line'),
    once(child, 'exit').then(() => Promise.reject(new Error('embedded server child exited early'))),
  ])) as [string];
  return { child, url: JSON.parse(line).url };
}

async function stopChild(child: ChildProcess, signal?: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  if (signal) child.kill(signal);
  else child.stdin?.end();
  await exited;
}

describe('openDatabase', function () {
  this.timeout(90_000);
  let dataDir: string;
  const opened: Database[] = [];
  const children: ChildProcess[] = [];
  const open = async (opts: Parameters<typeof openDatabase>[0]) => {
    const db = await openDatabase(opts);
    opened.push(db);
    return db;
  };

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'open-db-'));
  });
  afterEach(async () => {
    for (const db of opened.splice(0).reverse()) await db.close();
    await Promise.all(children.splice(0).map((c) => stopChild(c, 'SIGKILL')));
    await rm(dataDir, { recursive: true, force: true });
  });

  it('uses DATABASE_URL as given', async () => {
    const db = await open({ databaseUrl: 'postgresql://db.example/app', dataDir, role: 'server' });
    assert.deepEqual(
      { url: db.url, embedded: db.embedded },
      { url: 'postgresql://db.example/app', embedded: false },
    );
    await db.close();
    assert.equal(await readEmbeddedServerInfo(dataDir), null); // nothing embedded was started
  });

  it('starts the embedded database for either role when nobody holds it, and close() stops it', async () => {
    const db = await open({ dataDir, role: 'client' });
    assert.deepEqual({ embedded: db.embedded }, { embedded: true });
    assert.equal(await selectOne(db.url), 1);
    await db.close();
    await assert.rejects(access(serverInfoPath(dataDir)));
  });

  it('lets a client use a running server (other process); a second server is refused', async () => {
    const server = await spawnEmbeddedServer(dataDir);
    children.push(server.child);

    const client = await open({ dataDir, role: 'client' });
    assert.equal(client.url, server.url);
    assert.equal(await selectOne(client.url), 1);
    await client.close(); // must leave the server's database running
    assert.equal(await selectOne(server.url), 1);

    await assert.rejects(
      open({ dataDir, role: 'server' }),
      new RegExp(`DATA_DIR .* is in use by process ${server.child.pid}\\b`),
    );
    await stopChild(server.child);
    assert.equal(await readEmbeddedServerInfo(dataDir), null);
  });

  it('recovers the lock and the data of a SIGKILLed server', async () => {
    const server = await spawnEmbeddedServer(dataDir);
    children.push(server.child);
    const client = new pg.Client(server.url);
    await client.connect();
    await client.query(`CREATE TABLE kept (v text); INSERT INTO kept VALUES ('committed')`);
    await client.end();
    await stopChild(server.child, 'SIGKILL');

    const started = Date.now();
    const restarted = await startEmbeddedPostgres({ dataDir, lockStaleMs: LOCK_STALE_MS });
    try {
      assert.ok(Date.now() - started < 30_000);
      const again = new pg.Client(restarted.url);
      await again.connect();
      assert.deepEqual((await again.query('SELECT v FROM kept')).rows, [{ v: 'committed' }]);
      await again.end();
    } finally {
      await restarted.stop();
    }
  });
});
