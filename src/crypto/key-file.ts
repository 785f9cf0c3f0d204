/**
 * Key file for the embedded default (no ENCRYPTION_KEYS, no DATABASE_URL): <dataDir>/encryption-keys
 * holds one ENCRYPTION_KEYS-format line. The caller warns when `created` is true (the key lives
 * next to the data it protects, so it only guards against leaked database dumps) and refuses to
 * start this way when DATABASE_URL is set.
 */
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  fchmodSync,
  fsyncSync,
  linkSync,
  openSync,
  readFileSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { makePrivateDir } from '../security/private-files.js';
import { generateKeySpec } from './key-ring.js';

export const KEY_FILE_NAME = 'encryption-keys';

export interface KeyFile {
  /** The file's content, trimmed; parse it with parseKeyRing(spec, { source: path }). */
  spec: string;
  created: boolean;
  path: string;
}

export function loadOrCreateKeyFile(dataDir: string): KeyFile {
  const path = join(dataDir, KEY_FILE_NAME);
  const existing = readIfExists(path);
  if (existing !== undefined) return { spec: existing, created: false, path };

  // The key lives beside the data it protects: DATA_DIR is the service user's alone (API.md §7), even
  // when it existed before (startEmbeddedPostgres also makes an older key file private).
  makePrivateDir(dataDir);
  const spec = generateKeySpec();
  // Write a private temp file, then hard-link it into place: the key file appears complete or not
  // at all (a crash cannot leave an empty key file), and link() fails with EEXIST instead of
  // overwriting when another process won the race, in which case its key is the one to use.
  const tmp = join(dataDir, `.${KEY_FILE_NAME}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    // The umask can only narrow openSync's mode; a strict one (e.g. 0277) would lock us out.
    fchmodSync(fd, 0o600);
    writeSync(fd, `${spec}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(tmp, path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return { spec: readFileSync(path, 'utf8').trim(), created: false, path };
  } finally {
    unlinkSync(tmp);
  }
  return { spec, created: true, path };
}

function readIfExists(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
