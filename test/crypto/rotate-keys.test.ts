import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { authClientAad, authSecretAad, connectSessionAad, webhookAad } from '../../src/crypto/aad.js';
import { open, seal, sealedKeyId } from '../../src/crypto/envelope.js';
import { generateKeySpec, parseKeyRing } from '../../src/crypto/key-ring.js';
import {
  KeyRotationError,
  type RotateKeysOptions,
  type RotationProgress,
  rotateKeys,
} from '../../src/crypto/rotate-keys.js';

// In-memory stand-in for the Prisma delegates rotateKeys uses, implementing only the query
// shapes it sends. The real queries are covered by the integration tests against PostgreSQL.
type Row = Record<string, unknown> & { id: string; updatedAt: Date };
type FindWhere = { id?: { gt: string } } & Record<string, unknown>;
type UpdateWhere = { id: string; updatedAt: Date } & Record<string, unknown>;

function fakeTable(column: string, rows: Row[], beforeUpdate?: (id: string, rows: Map<string, Row>) => void) {
  const byId = new Map(rows.map((r) => [r.id, r]));
  const bytesEqual = (a: unknown, b: unknown) =>
    a instanceof Uint8Array && b instanceof Uint8Array && Buffer.from(a).equals(Buffer.from(b));
  // Like Prisma 7: Bytes come back as plain Uint8Array copies, not Buffers.
  const project = (r: Row, select: Record<string, boolean>) =>
    Object.fromEntries(
      Object.keys(select).map((k) => [
        k,
        r[k] instanceof Uint8Array ? new Uint8Array(r[k] as Uint8Array) : r[k],
      ]),
    );
  return {
    rows: byId,
    async findMany(args: { where: FindWhere; take: number; select: Record<string, boolean> }) {
      const after = args.where.id?.gt;
      const nonNull = (args.where[column] as { not?: null } | undefined)?.not === null;
      return [...byId.values()]
        .filter((r) => after === undefined || r.id > after)
        .filter((r) => !nonNull || r[column] !== null)
        .sort((a, b) => (a.id < b.id ? -1 : 1))
        .slice(0, args.take)
        .map((r) => project(r, args.select));
    },
    async findUnique(args: { where: { id: string }; select: Record<string, boolean> }) {
      const r = byId.get(args.where.id);
      return r ? project(r, args.select) : null;
    },
    async updateMany(args: { where: UpdateWhere; data: Record<string, unknown> }) {
      beforeUpdate?.(args.where.id, byId);
      const r = byId.get(args.where.id);
      const matches =
        r &&
        bytesEqual(r[column], (args.where[column] as { equals?: Uint8Array }).equals) &&
        r.updatedAt.getTime() === args.where.updatedAt.getTime();
      if (matches) Object.assign(r, args.data);
      return { count: matches ? 1 : 0 };
    },
  };
}

const oldSpec = generateKeySpec('old');
const newSpec = generateKeySpec('new');
const oldRing = parseKeyRing(oldSpec);
const transition = parseKeyRing(`${newSpec},${oldSpec}`);
const newRing = parseKeyRing(newSpec);
const created = new Date('2025-01-01T00:00:00.000Z');

function secretRow(n: number, ring = oldRing): Row {
  const ids = { id: `s${String(n).padStart(3, '0')}`, tenantId: 't1', workspaceId: 'w1' };
  return {
    ...ids,
    credentialsSealed: seal(ring, `credentials-${n}`, authSecretAad(ids)),
    updatedAt: created,
  };
}

function clientRow(n: number, secret: boolean): Row {
  const ids = { id: `c${n}`, tenantId: 't1' };
  const sealed = secret ? seal(oldRing, `client-secret-${n}`, authClientAad(ids)) : null;
  return { ...ids, clientSecretSealed: sealed, updatedAt: created };
}

function webhookRow(n: number): Row {
  const ids = { id: `h${n}`, tenantId: 't1' };
  return { ...ids, secretSealed: seal(oldRing, `whsec-${n}`, webhookAad(ids)), updatedAt: created };
}

function sessionRow(n: number): Row {
  const ids = { id: `p${n}`, tenantId: 't1', workspaceId: 'w1' };
  return {
    ...ids,
    codeVerifierSealed: seal(oldRing, `verifier-${n}`, connectSessionAad(ids)),
    updatedAt: created,
  };
}

function setup(
  secrets: Row[],
  clients: Row[],
  beforeUpdate?: (id: string, rows: Map<string, Row>) => void,
  more: { webhooks?: Row[]; sessions?: Row[] } = {},
) {
  const authSecret = fakeTable('credentialsSealed', secrets, beforeUpdate);
  const authClient = fakeTable('clientSecretSealed', clients);
  const webhook = fakeTable('secretSealed', more.webhooks ?? []);
  const connectSession = fakeTable('codeVerifierSealed', more.sessions ?? []);
  // No versions here: their adapter's queries run against PostgreSQL in rotate-keys-db.test.ts.
  const authSecretVersion = {
    findMany: async () => [],
    findUnique: async () => null,
    updateMany: async () => ({ count: 0 }),
  };
  const prisma = {
    authSecret,
    authSecretVersion,
    authClient,
    webhook,
    connectSession,
  } as unknown as RotateKeysOptions['prisma'];
  return {
    prisma,
    secrets: authSecret.rows,
    clients: authClient.rows,
    webhooks: webhook.rows,
    sessions: connectSession.rows,
  };
}

function openSecret(ring: typeof oldRing, r: Row): string {
  return open(ring, r.credentialsSealed as Uint8Array, authSecretAad(r as never)).toString();
}

describe('crypto/rotate-keys', () => {
  it('re-seals every old row in batches, keeps updatedAt, and is idempotent', async () => {
    const secrets = [1, 2, 3, 4, 5].map((n) => secretRow(n));
    secrets.push(secretRow(6, transition)); // already under the new key
    const db = setup(secrets, [clientRow(1, true), clientRow(2, false), clientRow(3, true)], undefined, {
      webhooks: [webhookRow(1), webhookRow(2)],
      sessions: [sessionRow(1)],
    });
    const progress: RotationProgress[] = [];

    const result = await rotateKeys({
      prisma: db.prisma,
      ring: transition,
      batchSize: 2,
      onProgress: (p) => progress.push(p),
    });

    assert.deepEqual(result, {
      authSecrets: 5,
      authSecretVersions: 0,
      authClients: 2,
      webhooks: 2,
      connectSessions: 1,
    });
    for (const r of db.secrets.values()) {
      assert.equal(sealedKeyId(r.credentialsSealed as Uint8Array), 'new');
      assert.equal(openSecret(newRing, r), `credentials-${Number(r.id.slice(1))}`);
      assert.equal(r.updatedAt, created);
    }
    for (const r of db.clients.values()) {
      if (r.clientSecretSealed === null) continue;
      const text = open(newRing, r.clientSecretSealed as Uint8Array, authClientAad(r as never)).toString();
      assert.equal(text, `client-secret-${r.id.slice(1)}`);
    }
    for (const r of db.webhooks.values()) {
      assert.equal(
        open(newRing, r.secretSealed as Uint8Array, webhookAad(r as never)).toString(),
        `whsec-${r.id.slice(1)}`,
      );
      assert.equal(r.updatedAt, created);
    }
    for (const r of db.sessions.values()) {
      const text = open(
        newRing,
        r.codeVerifierSealed as Uint8Array,
        connectSessionAad(r as never),
      ).toString();
      assert.equal(text, `verifier-${r.id.slice(1)}`);
      assert.equal(r.updatedAt, created);
    }
    assert.deepEqual(
      progress.map((p) => [p.table, p.scanned, p.resealed]),
      [
        ['auth_secrets', 2, 2],
        ['auth_secrets', 4, 4],
        ['auth_secrets', 6, 5],
        ['auth_secret_versions', 0, 0],
        ['auth_clients', 2, 2],
        ['webhooks', 2, 2],
        ['connect_sessions', 1, 1],
      ],
    );
    assert.deepEqual(await rotateKeys({ prisma: db.prisma, ring: transition }), {
      authSecrets: 0,
      authSecretVersions: 0,
      authClients: 0,
      webhooks: 0,
      connectSessions: 0,
    });
  });

  it('never overwrites a concurrent write; re-reads and retries instead', async () => {
    let raced = false;
    const db = setup([secretRow(1), secretRow(2)], [], (id, rows) => {
      const row = rows.get(id);
      if (raced || !row) return;
      raced = true; // the API replaces s001's credentials between our read and our write
      row.credentialsSealed = seal(transition, 'fresh-from-api', authSecretAad(row as never));
      row.updatedAt = new Date();
    });
    const progress: RotationProgress[] = [];

    const result = await rotateKeys({
      prisma: db.prisma,
      ring: transition,
      onProgress: (p) => progress.push(p),
    });

    assert.deepEqual(result, {
      authSecrets: 1,
      authSecretVersions: 0,
      authClients: 0,
      webhooks: 0,
      connectSessions: 0,
    });
    assert.equal(progress[0]?.retries, 1);
    assert.equal(openSecret(newRing, db.secrets.get('s001') as Row), 'fresh-from-api');
    assert.equal(openSecret(newRing, db.secrets.get('s002') as Row), 'credentials-2');
  });

  it('re-seals a row that a lagging instance rewrote under the old key meanwhile', async () => {
    let raced = false;
    const db = setup([secretRow(1)], [], (id, rows) => {
      const row = rows.get(id);
      if (raced || !row) return;
      raced = true;
      row.credentialsSealed = seal(oldRing, 'written-with-old-key', authSecretAad(row as never));
    });
    assert.deepEqual(await rotateKeys({ prisma: db.prisma, ring: transition }), {
      authSecrets: 1,
      authSecretVersions: 0,
      authClients: 0,
      webhooks: 0,
      connectSessions: 0,
    });
    assert.equal(openSecret(newRing, db.secrets.get('s001') as Row), 'written-with-old-key');
  });

  it('rotates everything it can, then reports unreadable rows by id and code', async () => {
    const moved = secretRow(2);
    moved.id = 's999'; // a blob copied into another row: its AAD no longer matches
    const lost = secretRow(3, parseKeyRing(generateKeySpec('gone')));
    const db = setup([secretRow(1), moved, lost], [clientRow(1, true)]);

    const err = await rotateKeys({ prisma: db.prisma, ring: transition }).then(
      () => assert.fail('expected KeyRotationError'),
      (e: unknown) => e,
    );

    assert.ok(err instanceof KeyRotationError);
    assert.deepEqual(err.result, {
      authSecrets: 1,
      authSecretVersions: 0,
      authClients: 1,
      webhooks: 0,
      connectSessions: 0,
    });
    assert.deepEqual(err.failures, [
      { table: 'auth_secrets', id: 's003', code: 'unknown_key' },
      { table: 'auth_secrets', id: 's999', code: 'decryption_failed' },
    ]);
    assert.match(err.message, /could not re-seal 2 row\(s\): auth_secrets s003 \(unknown_key\)/);
    assert.ok(!err.message.includes('credentials-'));
  });

  it('rejects a non-positive batch size', async () => {
    const db = setup([], []);
    await assert.rejects(rotateKeys({ prisma: db.prisma, ring: transition, batchSize: 0 }), RangeError);
  });
});
