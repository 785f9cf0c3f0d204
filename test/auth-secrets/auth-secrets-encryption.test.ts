// Encryption at rest as seen from the database and the API: no plaintext in any row, ciphertexts
// bound to their row, and a clear error (never a crash, never a secret) when one cannot be opened.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'mocha';
import { sealedKeyId } from '../../src/crypto/envelope.js';
import { generateKeySpec } from '../../src/crypto/key-ring.js';
import { openCredentials } from '../../src/modules/auth-secrets/credentials.js';
import {
  type Actor,
  createClient,
  createSecret,
  createTenant,
  createWorkspace,
  type Http,
  httpFor,
  JSONAPI,
  type JsonApiResource,
  oauth2ClientAttributes,
  oauth2Credentials,
} from '../support/factories.js';
import { assertJsonApiResponse, expectError } from '../support/jsonapi-schema.js';
import {
  leaksOf,
  marker,
  secretMarker,
  seenResponses,
  track,
  usedClientSecrets,
} from '../support/secrets.js';
import { capturedLogs, createTestApp, type TestApp } from '../support/test-app.js';

describe('auth-secrets: encryption at rest', () => {
  let t: TestApp;
  let http: Http;
  let tenantId: string;
  let admin: Actor;
  let ws: string;
  let client: JsonApiResource;
  let clientSecret: string;
  let otherClient: JsonApiResource;
  const plaintexts: string[] = [];

  before(async () => {
    t = await createTestApp({ ENCRYPTION_KEYS: generateKeySpec('enc-test') });
    http = httpFor(t);
    ({ tenantId, admin } = await createTenant(t.prisma));
    ws = await createWorkspace(t.prisma, tenantId, admin.userId);
    const attrs = oauth2ClientAttributes();
    clientSecret = attrs.oauth2.client_secret as string;
    client = await createClient(http, admin.auth, tenantId, attrs);
    otherClient = await createClient(http, admin.auth, tenantId, { name: marker('o'), auth_type: 'other' });
  });

  after(() => t.close());

  async function newSecret(kind: 'oauth2' | 'other' = 'oauth2') {
    const credentials =
      kind === 'oauth2'
        ? oauth2Credentials(3600)
        : { api_key: secretMarker('api-key'), extra: { pin: secretMarker('pin') } };
    for (const v of Object.values(credentials)) if (typeof v === 'string') plaintexts.push(v);
    if (kind === 'other') plaintexts.push((credentials as { extra: { pin: string } }).extra.pin);
    return createSecret(http, admin.auth, ws, kind === 'oauth2' ? client.id : otherClient.id, {
      credentials,
    });
  }

  it('keeps no plaintext access token, refresh token or client secret in any row (versions included)', async () => {
    const a = await newSecret();
    const b = await newSecret('other');
    // Versions (API.md §9.1): a second one for `b`, and `b` in the trash, whose rows stay sealed too.
    const replacement = { api_key: secretMarker('api-key'), extra: { pin: secretMarker('pin') } };
    plaintexts.push(replacement.api_key, replacement.extra.pin);
    const patched = track(
      await http
        .patch(`/v2/workspaces/${ws}/secrets/${b.id}`)
        .set('Authorization', admin.auth)
        .send({ data: { type: 'auth-secret', id: b.id, attributes: { credentials: replacement } } }),
    );
    assert.equal(patched.status, 200, patched.text);
    const trashed = track(
      await http.delete(`/v2/workspaces/${ws}/secrets/${b.id}`).set('Authorization', admin.auth),
    );
    assert.equal(trashed.status, 204);
    const rows = await t.prisma.$queryRaw<{ row: string; sealed: Uint8Array }[]>`
      SELECT row_to_json(s)::text AS row, credentials_sealed AS sealed FROM auth_secrets s WHERE tenant_id = ${tenantId}::uuid
      UNION ALL
      SELECT row_to_json(v)::text AS row, v.credentials_sealed AS sealed
      FROM auth_secret_versions v JOIN auth_secrets s ON s.id = v.auth_secret_id WHERE s.tenant_id = ${tenantId}::uuid`;
    assert.ok(rows.length >= 5, `${rows.length} rows (2 secrets, 3 versions)`);
    const clients = await t.prisma.$queryRaw<{ row: string; sealed: Uint8Array | null }[]>`
      SELECT row_to_json(c)::text AS row, client_secret_sealed AS sealed FROM auth_clients c WHERE tenant_id = ${tenantId}::uuid`;
    assert.ok(clients.length === 2);
    const needles = [...plaintexts, clientSecret];
    for (const r of [...rows, ...clients]) {
      for (const needle of needles) {
        assert.ok(!r.row.includes(needle), 'plaintext in a row');
        // Also as raw bytes: not hex-encoded in the JSON above, but not there either.
        if (r.sealed)
          assert.ok(!Buffer.from(r.sealed).includes(Buffer.from(needle)), 'plaintext in a sealed column');
      }
    }
    // The API still returns them.
    const res = track(
      await http.get(`/v2/workspaces/${ws}/secrets/${a.id}`).set('Authorization', admin.auth),
    );
    assert.equal(res.body.data.attributes.credentials.access_token, a.attributes.credentials.access_token);
    const row = await t.prisma.authSecret.findUniqueOrThrow({ where: { id: a.id } });
    assert.equal(sealedKeyId(row.credentialsSealed), 'enc-test');
    assert.deepEqual(openCredentials(t.keyRing, row), {
      access_token: a.attributes.credentials.access_token,
      refresh_token: a.attributes.credentials.refresh_token,
    });
  });

  describe('a ciphertext moved to another row', () => {
    let victim: JsonApiResource;
    let donor: JsonApiResource;
    let healthy: JsonApiResource;

    before(async () => {
      donor = await newSecret();
      victim = await newSecret();
      healthy = await newSecret();
      await t.prisma.$executeRaw`
        UPDATE auth_secrets SET credentials_sealed = (SELECT credentials_sealed FROM auth_secrets WHERE id = ${donor.id}::uuid)
        WHERE id = ${victim.id}::uuid`;
    });

    it('fails to decrypt with a clear error on GET (500 credentials_unreadable), logged without secrets', async () => {
      const logStart = capturedLogs.length;
      const res = track(
        await http.get(`/v2/workspaces/${ws}/secrets/${victim.id}`).set('Authorization', admin.auth),
      );
      const errors = expectError(res, 500, 'credentials_unreadable');
      assert.match(errors[0]?.detail ?? '', /cannot be decrypted/);
      for (const s of [donor, victim]) {
        assert.ok(!res.text.includes(s.attributes.credentials.access_token));
        assert.ok(!res.text.includes(s.attributes.credentials.refresh_token));
      }
      const lines = capturedLogs.slice(logStart).filter((l) => l.includes('cannot be decrypted'));
      assert.equal(lines.length, 1);
      const logged = JSON.parse(lines[0] as string);
      assert.equal(logged.authSecretId, victim.id);
      assert.equal(logged.reason, 'decryption_failed');
      assert.equal(logged.keyId, 'enc-test');
    });

    it('does not take the list down: the row is listed with credentials null and named in meta', async () => {
      const res = track(
        await http.get(`/v2/workspaces/${ws}/secrets?page[size]=200`).set('Authorization', admin.auth),
      );
      assertJsonApiResponse(res);
      assert.equal(res.status, 200);
      const byId = new Map(res.body.data.map((d: JsonApiResource) => [d.id, d]));
      assert.equal((byId.get(victim.id) as JsonApiResource).attributes.credentials, null);
      assert.deepEqual(
        (byId.get(healthy.id) as JsonApiResource).attributes.credentials.access_token,
        healthy.attributes.credentials.access_token,
      );
      assert.deepEqual(res.body.meta, { credentials_unreadable: [victim.id] });
    });

    it('refuses a PATCH that would have to show the unreadable credentials, changing nothing', async () => {
      const before = await t.prisma.authSecret.findUniqueOrThrow({ where: { id: victim.id } });
      const res = track(
        await http
          .patch(`/v2/workspaces/${ws}/secrets/${victim.id}`)
          .set('Authorization', admin.auth)
          .set('Content-Type', JSONAPI)
          .send({ data: { type: 'auth-secret', id: victim.id, attributes: { name: 'renamed' } } }),
      );
      expectError(res, 500, 'credentials_unreadable');
      assert.deepEqual(await t.prisma.authSecret.findUniqueOrThrow({ where: { id: victim.id } }), before);
    });

    it('can be repaired by a PATCH with new credentials, and deleted', async () => {
      const credentials = oauth2Credentials(60);
      plaintexts.push(credentials.access_token, credentials.refresh_token);
      const res = track(
        await http
          .patch(`/v2/workspaces/${ws}/secrets/${victim.id}`)
          .set('Authorization', admin.auth)
          .set('Content-Type', JSONAPI)
          .send({ data: { type: 'auth-secret', id: victim.id, attributes: { credentials } } }),
      );
      assertJsonApiResponse(res);
      assert.equal(res.status, 200);
      const got = track(
        await http.get(`/v2/workspaces/${ws}/secrets/${victim.id}`).set('Authorization', admin.auth),
      );
      assert.equal(got.status, 200);
      assert.equal(got.body.data.attributes.credentials.access_token, credentials.access_token);
      const del = track(
        await http.delete(`/v2/workspaces/${ws}/secrets/${donor.id}`).set('Authorization', admin.auth),
      );
      assert.equal(del.status, 204);
    });
  });

  // A key missing from this process's ring is a deployment's configuration problem (e.g. a key
  // rotation that skipped the decrypt-only step), not a bug: 503 naming the key id, not 500.
  it('answers 503 credentials_unreadable naming the missing key id when the sealing key is not in the ring, logged at a bounded rate', async () => {
    const secret = await newSecret();
    const stranger = await createTestApp({ ENCRYPTION_KEYS: generateKeySpec('unrelated') });
    try {
      const logStart = capturedLogs.length;
      for (let i = 0; i < 3; i++) {
        const res = track(
          await httpFor(stranger)
            .get(`/v2/workspaces/${ws}/secrets/${secret.id}`)
            .set('Authorization', admin.auth),
        );
        const [error] = expectError(res, 503, 'credentials_unreadable');
        assert.match(error?.detail ?? '', /"enc-test"/, 'the detail names the missing key id');
        assert.ok(res.headers['retry-after'], 'Retry-After: another process may have the key');
      }
      const lines = capturedLogs.slice(logStart).filter((l) => l.includes('cannot be decrypted'));
      assert.equal(lines.length, 1, 'three reads, one log line');
      const logged = JSON.parse(lines[0] as string);
      assert.equal(logged.reason, 'unknown_key');
      assert.equal(logged.keyId, 'enc-test');
    } finally {
      await stranger.close();
    }
  });

  // A describe block so that it runs after every test above (mocha runs a suite's own tests first).
  describe('after all of the above', () => {
    it('no credential reached a log line; no client secret a log line or response', () => {
      assert.ok(plaintexts.length > 10);
      assert.deepEqual(leaksOf([...plaintexts, clientSecret], capturedLogs), []);
      assert.deepEqual(leaksOf(usedClientSecrets, [...capturedLogs, ...seenResponses]), []);
    });
  });
});
