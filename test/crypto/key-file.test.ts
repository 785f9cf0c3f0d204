import assert from 'node:assert/strict';
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'mocha';
import { loadOrCreateKeyFile } from '../../src/crypto/key-file.js';
import { generateKeySpec, parseKeyRing } from '../../src/crypto/key-ring.js';

describe('crypto/key-file', () => {
  const root = mkdtempSync(join(tmpdir(), 'key-file-test-'));
  after(() => rmSync(root, { recursive: true, force: true }));

  it('creates the data dir and a 0600 key file once, then reuses it', () => {
    const dataDir = join(root, 'nested', 'data');
    const first = loadOrCreateKeyFile(dataDir);
    assert.equal(first.created, true);
    assert.equal(first.path, join(dataDir, 'encryption-keys'));
    assert.equal(statSync(first.path).mode & 0o777, 0o600);
    assert.equal(readFileSync(first.path, 'utf8'), `${first.spec}\n`);
    assert.equal(parseKeyRing(first.spec).keyIds.length, 1);
    assert.deepEqual(readdirSync(dataDir), ['encryption-keys'], 'no temp file left behind');

    const second = loadOrCreateKeyFile(dataDir);
    assert.deepEqual(second, { ...first, created: false });
  });

  it("§7 the embedded database is the service's alone: an existing 0755 data dir becomes 0700 with the key", () => {
    const dataDir = join(root, 'existing');
    mkdirSync(dataDir, { mode: 0o755 });
    chmodSync(dataDir, 0o755);
    loadOrCreateKeyFile(dataDir);
    assert.equal(statSync(dataDir).mode & 0o777, 0o700);
  });

  it('keeps a key file an operator edited (e.g. a second key added)', () => {
    const dataDir = join(root, 'edited');
    const { spec, path } = loadOrCreateKeyFile(dataDir);
    const edited = `${generateKeySpec('newer')},${spec}`;
    writeFileSync(path, `${edited}\n`);
    const again = loadOrCreateKeyFile(dataDir);
    assert.equal(again.spec, edited);
    assert.equal(again.created, false);
    assert.equal(parseKeyRing(again.spec).activeKeyId, 'newer');
  });
});
