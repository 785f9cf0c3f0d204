// rotate-keys against real PostgreSQL while the API keeps serving: afterwards every row of this
// tenant (secrets, their versions, client secrets, webhook signing secrets, connect-session PKCE
// verifiers) opens with the new key alone, and the API (running on the new key only) returns the same
// credentials as before. Other test files' rows (sealed with their own throwaway keys) are in the
// same database; the rotation reports them as unknown_key and they are ignored here.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'mocha';
import { authClientAad } from '../../src/crypto/aad.js';
import { open, sealedKeyId } from '../../src/crypto/envelope.js';
import { generateKeySpec, parseKeyRing } from '../../src/crypto/key-ring.js';
import {
  KeyRotationError,
  type RotateKeysOptions,
  type RotateKeysResult,
  rotateKeys,
} from '../../src/crypto/rotate-keys.js';
import { openCredentials } from '../../src/modules/auth-secrets/credentials.js';
import { openCodeVerifier } from '../../src/modules/connect-sessions/code-verifier.js';
import { openSigningSecret } from '../../src/modules/webhooks/webhook-secret.js';
import {
  type Actor,
  createClient,
  createSecret,
  createTenant,
  createWorkspace,
  type Http,
  httpFor,
  type JsonApiResource,
  oauth2ClientAttributes,
  oauth2Credentials,
} from '../support/factories.js';
import { assertJsonApiResponse } from '../support/jsonapi-schema.js';
import { marker, secretMarker, track } from '../support/secrets.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

const oldSpec = generateKeySpec('rot-old');
const newSpec = generateKeySpec('rot-new');

/** Runs rotateKeys; rows of other tests (keys we do not hold) fail as unknown_key and are tolerated. */
async function rotate(
  app: TestApp,
  mine: Set<string>,
  opts: Partial<RotateKeysOptions> = {},
): Promise<RotateKeysResult> {
  try {
    return await rotateKeys({ prisma: app.prisma, ring: app.keyRing, batchSize: 25, ...opts });
  } catch (err) {
    if (!(err instanceof KeyRotationError)) throw err;
    const ours = err.failures.filter((f) => mine.has(f.id));
    assert.deepEqual(ours, [], 'a row of this test could not be re-sealed');
    assert.ok(err.failures.every((f) => f.code === 'unknown_key'));
    return err.result;
  }
}

describe('crypto/rotate-keys against the database, while serving', () => {
  let before1: TestApp;
  let during: TestApp;
  let afterApp: TestApp | undefined;
  let tenantId: string;
  let admin: Actor;
  let ws: string;
  const clients: JsonApiResource[] = [];
  const clientSecrets = new Map<string, string>();
  const secrets: JsonApiResource[] = [];
  /** The webhook's signing secret as its create response showed it (once). */
  let webhook: { id: string; secret: string };
  /** A connect session and the PKCE code_challenge its authorize_url carried. */
  let session: { id: string; codeChallenge: string };

  before(async function () {
    this.timeout(60_000);
    before1 = await createTestApp({ ENCRYPTION_KEYS: oldSpec });
    const http = httpFor(before1);
    ({ tenantId, admin } = await createTenant(before1.prisma));
    ws = await createWorkspace(before1.prisma, tenantId, admin.userId);
    for (let i = 0; i < 3; i++) {
      const attrs = oauth2ClientAttributes();
      const c = await createClient(http, admin.auth, tenantId, attrs);
      clients.push(c);
      clientSecrets.set(c.id, attrs.oauth2.client_secret as string);
    }
    const other = await createClient(http, admin.auth, tenantId, {
      name: marker('other'),
      auth_type: 'other',
    });
    clients.push(other);
    for (let i = 0; i < 40; i++) {
      const oauth = i % 3 !== 0;
      const client = oauth ? clients[i % 3] : other;
      assert.ok(client);
      const credentials = oauth
        ? oauth2Credentials(100_000 + i)
        : { api_key: secretMarker('api-key'), n: i, nested: { a: [i] } };
      secrets.push(await createSecret(http, admin.auth, ws, client.id, { credentials }));
    }
    const hooked = track(
      await http
        .post(`/v2/tenants/${tenantId}/webhooks`)
        .set('Authorization', admin.auth)
        .send({
          data: {
            type: 'webhook',
            attributes: { url: `https://hooks.example.test/${marker('hook')}`, events: ['*'] },
          },
        }),
    );
    assert.equal(hooked.status, 201, hooked.text);
    webhook = { id: hooked.body.data.id, secret: hooked.body.data.attributes.secret };
    assert.match(webhook.secret, /^whsec_/);
    const connectingAttrs = oauth2ClientAttributes({ authorize_url: 'https://auth.example.test/authorize' });
    const connecting = await createClient(http, admin.auth, tenantId, connectingAttrs);
    clientSecrets.set(connecting.id, connectingAttrs.oauth2.client_secret as string);
    clients.push(connecting);
    const started = track(
      await http
        .post(`/v2/workspaces/${ws}/connect-sessions`)
        .set('Authorization', admin.auth)
        .send({
          data: {
            type: 'connect-session',
            attributes: { name: marker('connection') },
            relationships: { 'auth-client': { data: { type: 'auth-client', id: connecting.id } } },
          },
        }),
    );
    assert.equal(started.status, 201, started.text);
    const authorizeUrl = new URL(started.body.data.attributes.authorize_url);
    session = {
      id: started.body.data.id,
      codeChallenge: authorizeUrl.searchParams.get('code_challenge') ?? '',
    };
    assert.ok(session.codeChallenge.length > 0);
    during = await createTestApp({ ENCRYPTION_KEYS: `${newSpec},${oldSpec}` });
  });

  after(async () => {
    await before1.close();
    await during.close();
    await afterApp?.close();
  });

  it('re-seals everything under the new key while the API keeps serving', async function () {
    this.timeout(120_000);
    const http: Http = httpFor(during);
    const mine = () =>
      new Set([...secrets.map((s) => s.id), ...clients.map((c) => c.id), webhook.id, session.id]);
    let rotating = true;
    let requests = 0;
    const failures: string[] = [];
    // The service keeps serving during the rotation: reads, renames and new secrets.
    const traffic = (async () => {
      for (let i = 0; rotating && i < 500; i++) {
        const target = secrets[i % secrets.length] as JsonApiResource;
        requests++;
        const read = track(
          await http.get(`/v2/workspaces/${ws}/secrets/${target.id}`).set('Authorization', admin.auth),
        );
        if (read.status !== 200) failures.push(`GET ${read.status}`);
        if (i % 4 === 0) {
          const renamed = track(
            await http
              .patch(`/v2/workspaces/${ws}/secrets/${target.id}`)
              .set('Authorization', admin.auth)
              .send({ data: { type: 'auth-secret', id: target.id, attributes: { name: `renamed ${i}` } } }),
          );
          if (renamed.status !== 200) failures.push(`PATCH ${renamed.status}`);
        }
        if (i % 10 === 0) {
          const client = clients[0] as JsonApiResource;
          secrets.push(await createSecret(http, admin.auth, ws, client.id));
        }
      }
    })();
    // Besides that background traffic, every third re-seal of one of our secrets is preceded by an
    // API rename of that very row: the rotation's conditional write must lose, re-read and retry,
    // and the rename must survive.
    const renamed = new Map<string, string>();
    let writes = 0;
    const delegate = during.prisma.authSecret;
    const interleaved = {
      authClient: during.prisma.authClient,
      authSecretVersion: during.prisma.authSecretVersion,
      webhook: during.prisma.webhook,
      connectSession: during.prisma.connectSession,
      authSecret: {
        findMany: delegate.findMany.bind(delegate),
        findUnique: delegate.findUnique.bind(delegate),
        updateMany: async (args: { where: { id: string } }) => {
          const id = args.where.id;
          if (secrets.some((s) => s.id === id) && writes++ % 3 === 0) {
            const name = marker('renamed-during-rotation');
            const res = track(
              await http
                .patch(`/v2/workspaces/${ws}/secrets/${id}`)
                .set('Authorization', admin.auth)
                .send({ data: { type: 'auth-secret', id, attributes: { name } } }),
            );
            assert.equal(res.status, 200);
            renamed.set(id, name);
          }
          return delegate.updateMany(args as never);
        },
      },
    } as unknown as RotateKeysOptions['prisma'];
    let retries = 0;
    let result: RotateKeysResult;
    try {
      result = await rotate(during, mine(), {
        prisma: interleaved,
        batchSize: 50,
        onProgress: (p) => {
          if (p.table === 'auth_secrets') retries = p.retries;
        },
      });
    } finally {
      rotating = false;
      await traffic;
    }
    assert.deepEqual(failures, []);
    assert.ok(
      requests > 0 && renamed.size > 0,
      `${requests} requests, ${renamed.size} renames during the rotation`,
    );
    assert.ok(retries >= renamed.size, `${retries} retries for ${renamed.size} interleaved renames`);
    assert.ok(result.authSecrets >= 1 && result.authClients >= 4, JSON.stringify(result));
    assert.ok(result.webhooks >= 1 && result.connectSessions >= 1, JSON.stringify(result));
    for (const [id, name] of renamed) {
      const row = await during.prisma.authSecret.findUniqueOrThrow({ where: { id } });
      // The rename kept, unless the background traffic renamed it again afterwards.
      assert.ok(row.name === name || row.name.startsWith('renamed '), row.name);
    }

    // A second run has nothing left to do for this tenant.
    const again = await rotate(during, mine(), { batchSize: 200 });
    assert.deepEqual(again, {
      authSecrets: 0,
      authSecretVersions: 0,
      authClients: 0,
      webhooks: 0,
      connectSessions: 0,
    });
  });

  it('leaves every row openable with the new key alone', async () => {
    const newOnly = parseKeyRing(newSpec);
    const rows = await during.prisma.authSecret.findMany({ where: { tenantId } });
    assert.equal(rows.length, secrets.length);
    for (const row of rows) {
      assert.equal(sealedKeyId(row.credentialsSealed), 'rot-new');
      assert.doesNotThrow(() => openCredentials(newOnly, row));
    }
    const clientRows = await during.prisma.authClient.findMany({ where: { tenantId } });
    for (const row of clientRows) {
      if (row.authType === 'other') {
        assert.equal(row.clientSecretSealed, null);
        continue;
      }
      assert.ok(row.clientSecretSealed);
      assert.equal(sealedKeyId(row.clientSecretSealed), 'rot-new');
      const plain = open(newOnly, row.clientSecretSealed, authClientAad(row)).toString();
      assert.equal(plain, clientSecrets.get(row.id));
    }
    // The webhook signs with the same secret, opened the way the delivery worker opens it.
    const hook = await during.prisma.webhook.findUniqueOrThrow({ where: { id: webhook.id } });
    assert.equal(sealedKeyId(hook.secretSealed), 'rot-new');
    assert.equal(openSigningSecret(newOnly, hook, hook.secretSealed), webhook.secret);
    // The callback can still send the verifier whose challenge the provider got.
    const pending = await during.prisma.connectSession.findUniqueOrThrow({ where: { id: session.id } });
    assert.equal(sealedKeyId(pending.codeVerifierSealed), 'rot-new');
    const verifier = openCodeVerifier(newOnly, pending);
    assert.equal(createHash('sha256').update(verifier).digest('base64url'), session.codeChallenge);
  });

  it('serves the same credentials from an app that holds only the new key', async () => {
    afterApp = await createTestApp({ ENCRYPTION_KEYS: newSpec });
    const http = httpFor(afterApp);
    for (const s of secrets) {
      const res = track(
        await http.get(`/v2/workspaces/${ws}/secrets/${s.id}`).set('Authorization', admin.auth),
      );
      assertJsonApiResponse(res);
      assert.equal(res.status, 200);
      const now = res.body.data.attributes;
      const was = s.attributes;
      assert.equal(now.expires_at, was.expires_at);
      if (was.expires_at === null) {
        assert.deepEqual(now.credentials, was.credentials);
      } else {
        assert.equal(now.credentials.access_token, was.credentials.access_token);
        assert.equal(now.credentials.refresh_token, was.credentials.refresh_token);
        assert.ok(now.credentials.expires_in <= was.credentials.expires_in);
      }
    }
    // And the old key alone no longer opens anything of this tenant.
    const oldOnly = parseKeyRing(oldSpec);
    const row = await afterApp.prisma.authSecret.findFirstOrThrow({ where: { tenantId } });
    assert.throws(() => openCredentials(oldOnly, row), { name: 'DecryptionError' });
  });
});
