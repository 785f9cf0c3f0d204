// A database of its own for tests whose refresh worker must see only their own secrets (a worker
// claims every due secret in its database, and other suites leave secrets behind). Needs a real
// PostgreSQL server (TEST_DATABASE_URL); returns undefined without one, and the caller skips.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { applyMigrations } from '../../../src/db/migrator.js';

export interface IsolatedDatabase {
  url: string;
  drop(): Promise<void>;
}

async function onServer(serverUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export async function createIsolatedDatabase(): Promise<IsolatedDatabase | undefined> {
  const serverUrl = process.env.TEST_DATABASE_URL;
  if (!serverUrl) return undefined;
  const name = `refresh_${Date.now()}_${randomBytes(4).toString('hex')}`;
  await onServer(serverUrl, `CREATE DATABASE "${name}"`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const drop = () => onServer(serverUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  try {
    await applyMigrations(url.toString());
  } catch (err) {
    await drop().catch(() => undefined);
    throw err;
  }
  return { url: url.toString(), drop };
}
