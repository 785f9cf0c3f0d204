// The embedded database's settings, and its first start (initdb) in a child process.
//
// Memory: PGlite runs Postgres inside this process, so its buffers are this process's resident
// memory. Postgres' default shared_buffers (128 MB) is touched as PGlite starts and was most of its
// footprint (~250 MB); 16 MB serves the embedded default's small databases, whose pages the
// operating system caches anyway. initdb is the other cost: PGlite instantiates a second WebAssembly
// module for it, and ~150 MB of it stayed resident for the life of the process after a first start
// (docs/PERFORMANCE.md, memory). Run in a short-lived child, that memory goes when the child exits.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite, type PGliteOptions } from '@electric-sql/pglite';

export const EMBEDDED_PGLITE_OPTIONS: PGliteOptions = {
  startParams: [...PGlite.defaultStartParams, '-c', 'shared_buffers=16MB'],
};

/** True once initdb has written the cluster (a data directory without PG_VERSION is not one yet). */
export const isInitialized = (pgdataDir: string): boolean => existsSync(join(pgdataDir, 'PG_VERSION'));

/**
 * Runs initdb for `pgdataDir` in a child process (this file, run by the same node) and waits for it.
 * The child inherits the umask, so the files are private as if this process had written them.
 */
export async function initializeInChild(pgdataDir: string): Promise<void> {
  const self = fileURLToPath(import.meta.url);
  // Compiled (dist/, `npm start`): plain node. From the sources (tests, tools): through tsx. Not this
  // process's execArgv, which may hold an `--eval` script or a profiler flag.
  const loader = self.endsWith('.ts') ? ['--import', 'tsx'] : [];
  const child = spawn(process.execPath, [...loader, self, pgdataDir], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', resolve);
  });
  if (code !== 0)
    throw new Error(`initializing the embedded database in ${pgdataDir} failed (exit ${code}):\n${stderr}`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const pgdataDir = process.argv[2];
  if (!pgdataDir) throw new Error('usage: embedded-initdb <pgdata directory>');
  const db = await PGlite.create(pgdataDir, EMBEDDED_PGLITE_OPTIONS);
  await db.close();
}
