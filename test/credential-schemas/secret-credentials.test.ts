// Auth-secrets of an `other` client with a credentials_schema (API.md §8.3): their credentials must
// fit it on create and on every PATCH that sends credentials or moves the secret to another client.
// Every violation is a 422 whose pointer is inside /data/attributes/credentials (a missing member's
// pointer names the member), no error ever repeats a credential value, and a schema change applies
// to later writes only.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'mocha';
import {
  type Actor,
  createClient,
  createTenant,
  createWorkspace,
  type Http,
  httpFor,
  JSONAPI,
  type JsonApiResource,
} from '../support/factories.js';
import {
  assertJsonApiResponse,
  expectError,
  type HttpResponseLike,
  type JsonApiError,
} from '../support/jsonapi-schema.js';
import { findSecrets, marker, secretMarker, track } from '../support/secrets.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

const C = '/data/attributes/credentials';

/** For each built-in: a valid example, and its required members. Every value is a secret marker. */
const BUILT_INS: Record<string, { valid: () => Record<string, string>; required: string[] }> = {
  api_key: { valid: () => ({ api_key: secretMarker('api-key') }), required: ['api_key'] },
  basic_auth: {
    valid: () => ({ username: secretMarker('credential'), password: secretMarker('password') }),
    required: ['username', 'password'],
  },
  bearer_token: { valid: () => ({ token: secretMarker('access-token') }), required: ['token'] },
  aws_access_key: {
    valid: () => ({
      access_key_id: secretMarker('credential'),
      secret_access_key: secretMarker('credential'),
      session_token: secretMarker('access-token'),
      region: 'eu-central-1',
    }),
    required: ['access_key_id', 'secret_access_key'],
  },
};

describe('auth-secrets: credentials checked against the client credentials schema (API.md §8.3)', () => {
  let t: TestApp;
  let http: Http;
  let tenantId: string;
  let admin: Actor;
  let ws: string;
  const clients: Record<string, string> = {};

  const otherClient = async (credentialsSchema: unknown) =>
    (
      await createClient(http, admin.auth, tenantId, {
        name: marker('client'),
        auth_type: 'other',
        credentials_schema: credentialsSchema,
      })
    ).id;
  const postSecret = async (clientId: string, credentials: unknown) =>
    track(
      await http
        .post(`/v2/workspaces/${ws}/secrets`)
        .set('Authorization', admin.auth)
        .set('Content-Type', JSONAPI)
        .send({
          data: {
            type: 'auth-secret',
            attributes: { name: marker('secret'), state: 'ready', credentials },
            relationships: { 'auth-client': { data: { type: 'auth-client', id: clientId } } },
          },
        }),
    );
  const patchSecret = async (id: string, attributes: Record<string, unknown>, clientId?: string) =>
    track(
      await http
        .patch(`/v2/workspaces/${ws}/secrets/${id}`)
        .set('Authorization', admin.auth)
        .set('Content-Type', JSONAPI)
        .send({
          data: {
            type: 'auth-secret',
            id,
            attributes,
            ...(clientId
              ? { relationships: { 'auth-client': { data: { type: 'auth-client', id: clientId } } } }
              : {}),
          },
        }),
    );
  const created = (res: { status: number; text: string; body: { data: JsonApiResource } }) => {
    assert.equal(res.status, 201, res.text);
    assertJsonApiResponse(res as never);
    return res.body.data;
  };
  /** A 422 whose every error points inside the credentials and repeats none of the sent values. */
  const refused = (res: HttpResponseLike & { text: string }, sent: unknown) => {
    const errors = expectError(res, 422);
    for (const e of errors) {
      assert.equal(e.status, '422');
      assert.ok(e.source?.pointer === C || e.source?.pointer?.startsWith(`${C}/`), e.source?.pointer);
    }
    assert.deepEqual(findSecrets(res.text), [], 'no credential value in the error document');
    for (const value of JSON.stringify(sent).match(/"[^"]{6,}"/g) ?? []) {
      if (!/^"[a-z_]+"$/.test(value)) assert.ok(!res.text.includes(value), `${value} echoed`);
    }
    return errors;
  };
  const pointersOf = (errors: JsonApiError[]) => errors.map((e) => [e.code, e.source?.pointer]);
  const secretCount = () => t.prisma.authSecret.count({ where: { workspaceId: ws } });

  before(async () => {
    t = await createTestApp();
    http = httpFor(t);
    ({ tenantId, admin } = await createTenant(t.prisma));
    ws = await createWorkspace(t.prisma, tenantId, admin.userId);
    for (const name of Object.keys(BUILT_INS)) clients[name] = await otherClient(name);
  });

  after(async () => {
    await t.close();
  });

  for (const [name, { valid, required }] of Object.entries(BUILT_INS)) {
    it(`${name}: accepts a valid example, refuses missing, extra and wrong-type members with pointers`, async () => {
      const clientId = clients[name] as string;
      const example = valid();
      const secret = created(await postSecret(clientId, example));
      assert.deepEqual(secret.attributes.credentials, example);
      const before = await secretCount();

      for (const member of required) {
        const sent = { ...valid() };
        delete sent[member];
        const errors = refused(await postSecret(clientId, sent), sent);
        assert.deepEqual(pointersOf(errors), [['missing_member', `${C}/${member}`]]);
        assert.match(errors[0]?.detail ?? '', new RegExp(`${member} is required`));
      }
      const extra = { ...valid(), extra_member: secretMarker('credential') };
      assert.deepEqual(pointersOf(refused(await postSecret(clientId, extra), extra)), [
        ['unknown_member', `${C}/extra_member`],
      ]);
      const first = required[0] as string;
      for (const wrong of [
        42,
        true,
        null,
        [secretMarker('credential')],
        { v: secretMarker('credential') },
        '',
      ]) {
        const sent = { ...valid(), [first]: wrong };
        assert.deepEqual(pointersOf(refused(await postSecret(clientId, sent), sent)), [
          ['invalid_value', `${C}/${first}`],
        ]);
      }
      // Every problem at once.
      const all = { [first]: 7, surplus: secretMarker('credential') };
      const errors = refused(await postSecret(clientId, all), all);
      const expected = [
        ['invalid_value', `${C}/${first}`],
        ['unknown_member', `${C}/surplus`],
        ...required.slice(1).map((m) => ['missing_member', `${C}/${m}`]),
      ];
      assert.deepEqual(pointersOf(errors).sort(), expected.sort());
      // The same rules on PATCH; the stored credentials stay as they were.
      const broken = { ...valid(), extra_member: secretMarker('credential') };
      assert.deepEqual(pointersOf(refused(await patchSecret(secret.id, { credentials: broken }), broken)), [
        ['unknown_member', `${C}/extra_member`],
      ]);
      const read = track(
        await http.get(`/v2/workspaces/${ws}/secrets/${secret.id}`).set('Authorization', admin.auth),
      );
      assert.equal(read.status, 200);
      assertJsonApiResponse(read);
      assert.deepEqual(read.body.data.attributes.credentials, example);
      const replacement = valid();
      const ok = await patchSecret(secret.id, { credentials: replacement });
      assert.equal(ok.status, 200, ok.text);
      assertJsonApiResponse(ok);
      assert.deepEqual(ok.body.data.attributes.credentials, replacement);
      assert.equal(await secretCount(), before, 'no refused create stored anything');
    });
  }

  it('an inline schema: nested pointers, enum/const/bounds refused without echoing the value', async () => {
    const clientId = await otherClient({
      type: 'object',
      properties: {
        key: { type: 'string', minLength: 10, maxLength: 100 },
        tier: { type: 'string', enum: ['free', 'paid'] },
        version: { const: 'v1' },
        port: { type: 'integer', minimum: 1, maximum: 65535 },
        hosts: { type: 'array', items: { type: 'string' }, minItems: 1, maxItems: 2 },
        nested: {
          type: 'object',
          properties: { pin: { type: 'string' } },
          required: ['pin'],
          additionalProperties: false,
        },
      },
      required: ['key', 'nested'],
      additionalProperties: false,
    });
    const good = {
      key: secretMarker('api-key'),
      tier: 'paid',
      version: 'v1',
      port: 443,
      hosts: ['a.example.test'],
      nested: { pin: secretMarker('pin') },
    };
    created(await postSecret(clientId, good));
    const bad = {
      key: secretMarker('api-key').slice(0, 9),
      tier: secretMarker('credential'),
      version: secretMarker('credential'),
      port: 70000,
      hosts: [secretMarker('credential'), secretMarker('credential'), secretMarker('credential')],
      nested: { pin: 1234, other: secretMarker('pin') },
    };
    const errors = refused(await postSecret(clientId, bad), bad);
    assert.deepEqual(pointersOf(errors).sort(), [
      ['invalid_value', `${C}/hosts`],
      ['invalid_value', `${C}/key`],
      ['invalid_value', `${C}/nested/pin`],
      ['invalid_value', `${C}/port`],
      ['invalid_value', `${C}/tier`],
      ['invalid_value', `${C}/version`],
      ['unknown_member', `${C}/nested/other`],
    ]);
    // The credentials must still be an object, and still bounded, whatever the schema.
    const errs = expectError(await postSecret(clientId, [good]), 422);
    assert.equal(errs[0]?.source?.pointer, C);
  });

  it('a schema change applies to later writes only: stored secrets are not rewritten or refused', async () => {
    const clientId = await otherClient('basic_auth');
    const old = BUILT_INS.basic_auth?.valid() as Record<string, string>;
    const secret = created(await postSecret(clientId, old));
    const res = track(
      await http
        .patch(`/v2/tenants/${tenantId}/auth-clients/${clientId}`)
        .set('Authorization', admin.auth)
        .set('Content-Type', JSONAPI)
        .send({ data: { type: 'auth-client', id: clientId, attributes: { credentials_schema: 'api_key' } } }),
    );
    assert.equal(res.status, 200, res.text);
    assertJsonApiResponse(res);
    const sealedBefore = (await t.prisma.authSecret.findUniqueOrThrow({ where: { id: secret.id } }))
      .credentialsSealed;
    // Read and PATCHed without credentials: as stored.
    const read = track(
      await http.get(`/v2/workspaces/${ws}/secrets/${secret.id}`).set('Authorization', admin.auth),
    );
    assert.equal(read.status, 200);
    assertJsonApiResponse(read);
    assert.deepEqual(read.body.data.attributes.credentials, old);
    const renamed = await patchSecret(secret.id, { name: marker('renamed') });
    assert.equal(renamed.status, 200, renamed.text);
    assert.deepEqual(renamed.body.data.attributes.credentials, old);
    const row = await t.prisma.authSecret.findUniqueOrThrow({ where: { id: secret.id } });
    assert.deepEqual(row.credentialsSealed, sealedBefore, 'the sealed credentials were not rewritten');
    // New writes follow the new schema.
    assert.deepEqual(pointersOf(refused(await patchSecret(secret.id, { credentials: old }), old)).sort(), [
      ['missing_member', `${C}/api_key`],
      ['unknown_member', `${C}/password`],
      ['unknown_member', `${C}/username`],
    ]);
    assert.deepEqual(pointersOf(refused(await postSecret(clientId, old), old)).sort(), [
      ['missing_member', `${C}/api_key`],
      ['unknown_member', `${C}/password`],
      ['unknown_member', `${C}/username`],
    ]);
    const fresh = { api_key: secretMarker('api-key') };
    const ok = await patchSecret(secret.id, { credentials: fresh });
    assert.equal(ok.status, 200, ok.text);
    assert.deepEqual(ok.body.data.attributes.credentials, fresh);
    // Clearing the schema: any object again.
    const cleared = track(
      await http
        .patch(`/v2/tenants/${tenantId}/auth-clients/${clientId}`)
        .set('Authorization', admin.auth)
        .set('Content-Type', JSONAPI)
        .send({ data: { type: 'auth-client', id: clientId, attributes: { credentials_schema: null } } }),
    );
    assert.equal(cleared.status, 200);
    created(await postSecret(clientId, { anything: { goes: secretMarker('credential') } }));
  });

  it('moving a secret to a client with a schema checks the stored credentials (pointers inside credentials)', async () => {
    const free = await otherClient(null);
    const stored = { token: secretMarker('access-token'), note: secretMarker('credential') };
    const secret = created(await postSecret(free, stored));
    const strict = clients.bearer_token as string;
    // Stored credentials have a member bearer_token does not allow: refused, nothing changes.
    const errors = refused(await patchSecret(secret.id, {}, strict), stored);
    assert.deepEqual(pointersOf(errors), [['unknown_member', `${C}/note`]]);
    const row = await t.prisma.authSecret.findUniqueOrThrow({ where: { id: secret.id } });
    assert.equal(row.authClientId, free);
    // With credentials that fit, sent together with the new client: moved.
    const fitting = { token: secretMarker('access-token') };
    const moved = await patchSecret(secret.id, { credentials: fitting }, strict);
    assert.equal(moved.status, 200, moved.text);
    assertJsonApiResponse(moved);
    assert.equal(moved.body.data.relationships['auth-client'].data.id, strict);
    // Credentials that do not fit the new client, sent with it: the new client's schema decides.
    const wrong = { api_key: secretMarker('api-key') };
    assert.deepEqual(
      pointersOf(
        refused(await patchSecret(secret.id, { credentials: wrong }, clients.basic_auth), wrong),
      ).sort(),
      [
        ['missing_member', `${C}/password`],
        ['missing_member', `${C}/username`],
        ['unknown_member', `${C}/api_key`],
      ],
    );
    // Back to a client without a schema: any object, no check needed.
    const back = await patchSecret(secret.id, {}, free);
    assert.equal(back.status, 200, back.text);
    assert.deepEqual(back.body.data.attributes.credentials, fitting);
  });
});
