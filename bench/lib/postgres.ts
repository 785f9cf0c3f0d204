// The PostgreSQL the benchmark runs against: a fresh database on BENCH_DATABASE_URL (or
// DATABASE_URL) when given, else a throwaway cluster from scripts/test-services.sh. Whatever is
// created here is removed again by the cleanup list.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import pg from 'pg';
import { onCleanup } from './cleanup.js';
import { repoRoot } from './processes.js';

export interface BenchDatabase {
  url: string;
  /** Where it came from, for the report. */
  source: string;
  /** PostgreSQL server version string. */
  version: string;
}

function run(cmd: string, args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { cwd: repoRoot, timeout: timeoutMs }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')} failed: ${err.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function createDatabaseOn(serverUrl: string): Promise<string> {
  const name = `bench_${Date.now()}_${randomBytes(3).toString('hex')}`;
  await withClient(serverUrl, (c) => c.query(`CREATE DATABASE "${name}"`));
  onCleanup(`drop database ${name}`, async () => {
    await withClient(serverUrl, (c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
  });
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

export async function startDatabase(): Promise<BenchDatabase> {
  const given = process.env.BENCH_DATABASE_URL || process.env.DATABASE_URL;
  let serverUrl: string;
  let source: string;
  if (given) {
    serverUrl = given;
    source = process.env.BENCH_DATABASE_URL ? 'BENCH_DATABASE_URL' : 'DATABASE_URL';
  } else {
    const script = path.join(repoRoot, 'scripts/test-services.sh');
    const out = await run('bash', [script, 'start'], 120_000);
    const vars = Object.fromEntries(
      [...out.matchAll(/^export (\w+)=(.*)$/gm)].map((m) => [m[1] as string, m[2] as string]),
    );
    const dir = vars.TEST_SERVICES_DIR;
    if (!dir || !vars.TEST_DATABASE_URL) throw new Error(`unexpected output of test-services.sh:\n${out}`);
    onCleanup('stop test services', async () => {
      await run('bash', [script, 'stop', dir], 60_000);
    });
    serverUrl = vars.TEST_DATABASE_URL;
    source = 'scripts/test-services.sh (fsync=off, synchronous_commit=off)';
  }
  const url = await createDatabaseOn(serverUrl);
  const version = await withClient(url, async (c) => {
    const r = await c.query<{ v: string }>("SELECT current_setting('server_version') AS v");
    return r.rows[0]?.v ?? '?';
  });
  return { url, source, version };
}
