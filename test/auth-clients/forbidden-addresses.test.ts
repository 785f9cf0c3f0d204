// API.md §7: token URLs whose host is a literal IP address outside the allowed ranges are refused
// when written (422 forbidden_address), on create and on PATCH, and nothing is stored. Names are
// not resolved here: they are checked when used (src/refresh/outbound-guard.ts).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'mocha';
import { classifyAddress } from '../../src/refresh/outbound-guard.js';
import {
  type Actor,
  createClient,
  createTenant,
  type Http,
  httpFor,
  JSONAPI,
  oauth2ClientAttributes,
} from '../support/factories.js';
import { assertJsonApiResponse, expectError } from '../support/jsonapi-schema.js';
import { track } from '../support/secrets.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

const TOKEN_URL = '/data/attributes/oauth2/token_url';
const AUTHORIZE_URL = '/data/attributes/oauth2/authorize_url';

// One URL per address family the rule covers, as written by a client.
const FORBIDDEN: [string, string][] = [
  ['RFC 1918', 'https://10.0.0.1/token'],
  ['RFC 1918 (172.16/12)', 'https://172.20.1.2/token'],
  ['RFC 1918 (192.168/16)', 'https://192.168.0.10:8443/token'],
  ['link-local metadata', 'https://169.254.169.254/latest/meta-data'],
  ['carrier-grade NAT', 'https://100.64.0.1/token'],
  ['this network', 'https://0.0.0.0/token'],
  ['"0" (WHATWG: 0.0.0.0)', 'https://0/token'],
  ['documentation range', 'https://192.0.2.5/token'],
  ['multicast', 'https://224.0.0.251/token'],
  ['hex IPv4 (WHATWG: 10.0.0.1)', 'https://0xa.0.0.1/token'],
  ['decimal IPv4 (WHATWG: 169.254.169.254)', 'https://2852039166/token'],
  ['octal IPv4 (WHATWG: 10.0.0.1)', 'https://012.0.0.1/token'],
  ['short IPv4 (WHATWG: 10.0.0.1)', 'https://10.1/token'],
  ['trailing dot', 'https://10.0.0.1./token'],
  ['IPv6 unique local', 'https://[fd00::1]/token'],
  ['IPv6 link-local', 'https://[fe80::1]/token'],
  ['IPv6 unspecified', 'https://[::]/token'],
  ['IPv4-mapped private', 'https://[::ffff:10.0.0.1]/token'],
  ['IPv4-mapped metadata (hex)', 'https://[::ffff:a9fe:a9fe]/token'],
  ['IPv4-mapped private (expanded)', 'https://[0:0:0:0:0:ffff:0a00:0001]/token'],
  ['SIIT IPv4-translated', 'https://[::ffff:0:8.8.8.8]/token'],
  ['SIIT IPv4-translated private', 'https://[::ffff:0:10.0.0.1]/token'],
  ['local-use NAT64 (RFC 8215)', 'https://[64:ff9b:1::808:808]/token'],
  ['well-known NAT64 of a private address', 'https://[64:ff9b::10.0.0.1]/token'],
  ['6to4', 'https://[2002:a00:1::1]/token'],
];

// Loopback without OAUTH_ALLOW_LOOPBACK_HTTP (https, so that the scheme rule does not apply).
const LOOPBACK: [string, string][] = [
  ['IPv4 loopback', 'https://127.0.0.1/token'],
  ['IPv4 loopback (hex)', 'https://0x7f.1/token'],
  ['IPv4 loopback (decimal)', 'https://2130706433/token'],
  ['IPv6 loopback', 'https://[::1]/token'],
  ['IPv4-mapped loopback', 'https://[::ffff:127.0.0.1]/token'],
];

describe('auth-clients: forbidden addresses (API.md §7)', () => {
  let t: TestApp;
  let strict: TestApp;
  let http: Http;
  let tenantId: string;
  let admin: Actor;
  const base = () => `/v2/tenants/${tenantId}/auth-clients`;

  before(async () => {
    t = await createTestApp();
    strict = await createTestApp({ OAUTH_ALLOW_LOOPBACK_HTTP: 'false' });
    http = httpFor(t);
    ({ tenantId, admin } = await createTenant(t.prisma));
  });
  after(async () => {
    await t?.close();
    await strict?.close();
  });

  const post = async (attributes: Record<string, unknown>, app = t) =>
    track(
      await httpFor(app)
        .post(base())
        .set('Authorization', admin.auth)
        .set('Content-Type', JSONAPI)
        .send({ data: { type: 'auth-client', attributes } }),
    );
  const stored = (name: string) => t.prisma.authClient.count({ where: { tenantId, name } });

  it('the write-time cases are the outbound guard’s own classification (one rule)', () => {
    for (const [, url] of [...FORBIDDEN, ...LOOPBACK]) {
      const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
      assert.notEqual(classifyAddress(host), 'public', `${url} (${host})`);
    }
  });

  for (const [family, url] of FORBIDDEN) {
    it(`§7 forbidden addresses are refused when written: ${family} ${url} → 422 on create, nothing stored`, async () => {
      const attrs = oauth2ClientAttributes({ token_url: url });
      const errors = expectError(await post(attrs), 422, 'forbidden_address');
      assert.equal(errors[0]?.source?.pointer, TOKEN_URL);
      assert.equal(await stored(attrs.name), 0);
    });
  }

  it('§7 forbidden addresses are refused when written: loopback literals unless OAUTH_ALLOW_LOOPBACK_HTTP=true', async () => {
    for (const [family, url] of LOOPBACK) {
      const attrs = oauth2ClientAttributes({ token_url: url });
      const errors = expectError(await post(attrs, strict), 422, 'forbidden_address');
      assert.equal(errors[0]?.source?.pointer, TOKEN_URL, family);
      assert.equal(await stored(attrs.name), 0, family);
      // With the operator's allowance, loopback stays usable (tests, local development).
      const allowed = await post(oauth2ClientAttributes({ token_url: url }));
      assertJsonApiResponse(allowed);
      assert.equal(allowed.status, 201, `${family}: ${allowed.text}`);
    }
  });

  it('§7 forbidden addresses are refused when written: authorize_url too, each problem reported', async () => {
    const attrs = oauth2ClientAttributes({
      token_url: 'https://10.0.0.1/token',
      authorize_url: 'https://[fd00::2]/authorize',
    });
    const errors = expectError(await post(attrs), 422, 'forbidden_address');
    assert.deepEqual(
      errors.map((e) => [e.code, e.source?.pointer]),
      [
        ['forbidden_address', TOKEN_URL],
        ['forbidden_address', AUTHORIZE_URL],
      ],
    );
    assert.equal(await stored(attrs.name), 0);
  });

  it('§7 forbidden addresses are refused when written: PATCH of token_url or authorize_url, nothing changed', async () => {
    const client = await createClient(http, admin.auth, tenantId, oauth2ClientAttributes());
    const before = await t.prisma.authClient.findUniqueOrThrow({ where: { id: client.id } });
    for (const [member, pointer, url] of [
      ['token_url', TOKEN_URL, 'https://169.254.169.254/latest'],
      ['token_url', TOKEN_URL, 'https://[::ffff:0:a00:1]/t'],
      ['authorize_url', AUTHORIZE_URL, 'https://192.168.1.1/a'],
    ] as const) {
      const res = track(
        await http
          .patch(`${base()}/${client.id}`)
          .set('Authorization', admin.auth)
          .set('Content-Type', JSONAPI)
          .send({ data: { type: 'auth-client', id: client.id, attributes: { oauth2: { [member]: url } } } }),
      );
      const errors = expectError(res, 422, 'forbidden_address');
      assert.equal(errors[0]?.source?.pointer, pointer);
    }
    const after = await t.prisma.authClient.findUniqueOrThrow({ where: { id: client.id } });
    assert.deepEqual(after, before);
  });

  it('§7 forbidden addresses are refused when written: a public literal IP and a host name are accepted (201)', async () => {
    for (const url of [
      'https://93.184.216.34/token',
      'https://[2606:4700::1111]/token',
      'https://[64:ff9b::808:808]/token',
      'https://idp.example.com/oauth/token',
      // A name is not resolved when written; the outbound guard checks its addresses when used.
      'https://internal.corp.example/token',
    ]) {
      const res = await post(
        oauth2ClientAttributes({ token_url: url, authorize_url: url.replace('token', 'authorize') }),
      );
      assertJsonApiResponse(res);
      assert.equal(res.status, 201, `${url}: ${res.text}`);
      assert.equal(res.body.data.attributes.oauth2.token_url, url);
    }
  });
});
