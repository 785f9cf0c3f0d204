import assert from 'node:assert/strict';
import { access, mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import pg from 'pg';
import {
  type EmbeddedPostgres,
  EmbeddedPostgresInUseError,
  SOCKET_FILE_NAME,
  serverInfoPath,
  startEmbeddedPostgres,
  startInMemoryPostgres,
} from '../../src/db/embedded-postgres.js';

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

async function query<T>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client(url);
  await client.connect();
  try {
    return (await client.query(sql)).rows as T[];
  } finally {
    await client.end();
  }
}

describe('startEmbeddedPostgres', function () {
  this.timeout(60_000);
  let dataDir: string;
  const started: EmbeddedPostgres[] = [];
  const start = async () => {
    const server = await startEmbeddedPostgres({ dataDir });
    started.push(server);
    return server;
  };

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'embedded-pg-'));
  });
  afterEach(async () => {
    await Promise.all(started.splice(0).map((s) => s.stop()));
    await rm(dataDir, { recursive: true, force: true });
  });

  it('publishes its socket directory and pid, keeps data across stop and start, and stops idempotently', async () => {
    const first = await start();
    const info = JSON.parse(await readFile(serverInfoPath(dataDir), 'utf8'));
    assert.deepEqual(info, { socketDir: dataDir, pid: process.pid });
    assert.equal(
      first.url,
      `postgresql://postgres:postgres@localhost/postgres?host=${encodeURIComponent(dataDir)}`,
    );
    await query(first.url, 'CREATE TABLE kept (v text); INSERT INTO kept VALUES ($$survives$$)');
    await Promise.all([first.stop(), first.stop()]);
    await first.stop();
    assert.equal(await exists(serverInfoPath(dataDir)), false);
    assert.equal(await exists(join(dataDir, SOCKET_FILE_NAME)), false);
    assert.equal(await exists(join(dataDir, 'embedded-postgres.lock')), false);

    const second = await start();
    assert.deepEqual(await query(second.url, 'SELECT v FROM kept'), [{ v: 'survives' }]);
  });

  it('refuses a DATA_DIR too long for a socket path when the temp dir is too long as well', async () => {
    const longDir = join(dataDir, 'd'.repeat(100));
    const longTmp = join(dataDir, 't'.repeat(100));
    await mkdir(longTmp);
    const previous = process.env.TMPDIR;
    process.env.TMPDIR = longTmp; // os.tmpdir() reads it on every call
    try {
      await assert.rejects(
        startEmbeddedPostgres({ dataDir: longDir }),
        /too long for a Unix socket path .* set DATA_DIR \(or TMPDIR\) to a shorter path/,
      );
    } finally {
      if (previous === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = previous;
    }
    assert.deepEqual(await readdir(longTmp), [], 'no socket directory left behind');
    assert.equal(await exists(join(longDir, 'embedded-postgres.lock')), false, 'lock released');
  });

  it('refuses a second start on the same dataDir while the first runs', async () => {
    const first = await start();
    await assert.rejects(start(), (err: unknown) => {
      assert.ok(err instanceof EmbeddedPostgresInUseError);
      assert.match(err.message, new RegExp(`^DATA_DIR .* is in use by process ${process.pid}\\b`));
      return true;
    });
    assert.deepEqual(await query(first.url, 'SELECT 1 AS one'), [{ one: 1 }]);
  });
});

// The evidence behind EMBEDDED_POOL_MAX = 1 (see the comment on it).
describe('pglite-socket multiplexer with several connections', function () {
  this.timeout(60_000);
  let server: EmbeddedPostgres;
  let pool: pg.Pool;
  before(async () => {
    server = await startInMemoryPostgres();
    pool = new pg.Pool({ connectionString: server.url, max: 2 });
  });
  after(async () => {
    await pool?.end();
    await server?.stop();
  });

  it('serializes transactions: B is parked while A is inside BEGIN, so no parallelism', async () => {
    await pool.query('CREATE TABLE IF NOT EXISTS tx_probe (v int)');
    const [a, b] = [await pool.connect(), await pool.connect()];
    try {
      await a.query('BEGIN');
      await a.query('INSERT INTO tx_probe VALUES (1)');
      const fromB = b.query('SELECT count(*)::int AS n FROM tx_probe');
      const raced = await Promise.race([fromB.then(() => 'answered'), sleep(500).then(() => 'parked')]);
      assert.equal(raced, 'parked');
      await a.query('ROLLBACK');
      assert.deepEqual((await fromB).rows, [{ n: 0 }]); // never saw A's uncommitted row
    } finally {
      a.release();
      b.release();
    }
  });

  it('shares one session: SET on one connection is visible on another', async () => {
    const [a, b] = [await pool.connect(), await pool.connect()];
    try {
      await a.query(`SET application_name = 'conn-a'`);
      assert.deepEqual((await b.query('SHOW application_name')).rows, [{ application_name: 'conn-a' }]);
    } finally {
      await a.query('RESET application_name');
      a.release();
      b.release();
    }
  });

  it('keeps each extended-protocol batch together (guardProtocolBatches)', async () => {
    assert.deepEqual(await bigBindRace(server.url), { ok: 105, failed: 0 });
  });

  it('upstream pglite-socket alone lets a big Bind land on another connection’s statement', async () => {
    // If this starts failing, upstream fixed the multiplexer and guardProtocolBatches can go.
    const db = await PGlite.create();
    const raw = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 4 });
    await raw.start();
    try {
      const result = await bigBindRace(`postgresql://postgres:postgres@${raw.getServerConn()}/postgres`);
      assert.ok(result.failed > 0, `expected interleaving failures, got ${JSON.stringify(result)}`);
    } finally {
      await raw.stop();
      await db.close();
    }
  });
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// Connection A binds a 4 MB parameter (split over many socket reads) while B runs small parameterized
// queries: without the guard, B's Parse replaces the unnamed statement between A's Parse and Bind.
async function bigBindRace(url: string): Promise<{ ok: number; failed: number }> {
  const [a, b] = [new pg.Client(url), new pg.Client(url)];
  await Promise.all([a.connect(), b.connect()]);
  const big = 'y'.repeat(4_000_000);
  let ok = 0;
  let failed = 0;
  const check = (p: Promise<pg.QueryResult>, expected: object) =>
    p.then(
      (r) => (JSON.stringify(r.rows[0]) === JSON.stringify(expected) ? ok++ : failed++),
      () => failed++,
    );
  try {
    for (let round = 0; round < 5; round++) {
      const fromA = check(a.query('SELECT length($1::text) AS n', [big]), { n: big.length });
      const fromB = (async () => {
        for (let i = 0; i < 20; i++) await check(b.query('SELECT $1::int AS v', [i]), { v: i });
      })();
      await Promise.all([fromA, fromB]);
    }
  } finally {
    await Promise.all([a.end().catch(() => {}), b.end().catch(() => {})]);
  }
  return { ok, failed };
}
