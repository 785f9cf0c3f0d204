// API.md §7 "nothing secret in error texts", end to end: a real token endpoint on 127.0.0.1 that
// rejects the grant and echoes what it received (the Authorization header, the posted body, their
// decodings) into error_description. The stored `error` (read back with GET) and the refresh
// response must hold none of the credentials in any encoding, and still say what went wrong.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'mocha';
import {
  type Actor,
  createClient,
  createSecret,
  createTenant,
  createWorkspace,
  type Http,
  httpFor,
} from '../support/factories.js';
import { assertJsonApiResponse, expectError } from '../support/jsonapi-schema.js';
import { track } from '../support/secrets.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

interface Received {
  authorization: string;
  body: string;
}

/** A token endpoint that answers every request with `answer(received)` as a JSON error body. */
class EchoingProvider {
  answer: (r: Received) => { status: number; body: Record<string, unknown> } = () => ({
    status: 400,
    body: { error: 'invalid_grant' },
  });
  #server: Server;

  private constructor() {
    this.#server = createServer((req, res) => {
      readBody(req).then(
        (body) => {
          const { status, body: payload } = this.answer({
            authorization: req.headers.authorization ?? '',
            body,
          });
          res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(payload));
        },
        () => res.destroy(),
      );
    });
  }

  static async start(): Promise<EchoingProvider> {
    const p = new EchoingProvider();
    await new Promise<void>((resolve) => p.#server.listen(0, '127.0.0.1', resolve));
    return p;
  }

  get tokenUrl(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}/oauth/token`;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

const b64 = (s: string) => Buffer.from(s).toString('base64');
const b64url = (s: string) => Buffer.from(s).toString('base64url');
// RFC 6749 appendix B: what client_secret_basic encodes before Base64 (simple-oauth2 does this).
const formEncode = (s: string) =>
  encodeURIComponent(s)
    .replace(/%20/g, '+')
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** Every spelling of a credential that must not appear, computed here independently of the code. */
function forbiddenSpellings(clientId: string, clientSecret: string, tokens: string[]): string[] {
  const pairs = [`${clientId}:${clientSecret}`, `${formEncode(clientId)}:${formEncode(clientSecret)}`];
  const out = new Set<string>();
  for (const s of [clientSecret, ...tokens]) {
    out.add(s);
    out.add(encodeURIComponent(s));
    out.add(formEncode(s));
    out.add(new URLSearchParams({ s }).toString().slice(2));
    out.add(b64(s));
    out.add(b64url(s));
  }
  for (const p of pairs) {
    for (const enc of [b64(p), b64url(p), b64(p).replace(/=+$/, '')]) {
      out.add(enc);
      out.add(encodeURIComponent(enc));
    }
  }
  return [...out];
}

describe('refresh: provider error texts are cleaned of credentials (API.md §7)', () => {
  let provider: EchoingProvider;
  let t: TestApp;
  let http: Http;
  let tenantId: string;
  let admin: Actor;
  let workspaceId: string;

  before(async () => {
    provider = await EchoingProvider.start();
    t = await createTestApp();
    http = httpFor(t);
    ({ tenantId, admin } = await createTenant(t.prisma));
    workspaceId = await createWorkspace(t.prisma, tenantId, admin.userId);
  });

  after(async () => {
    await t?.close();
    await provider?.close();
  });

  const USEFUL = 'Token has been expired or revoked.';
  // Credential-shaped strings the service never saw: the generic rules must catch them too.
  const foreignJwt = `eyJhbGciOiJSUzI1NiJ9.${b64url(JSON.stringify({ sub: randomBytes(8).toString('hex') }))}.${randomBytes(32).toString('base64url')}`;
  // Fixed: the shape rule for random-looking runs is a heuristic; the test must not depend on chance.
  const foreignOpaque = 'dGhpcyBpcyBub3QgYSByZWFsIHRva2Vu+Q7xK2pW';

  // What a careless provider puts into error_description, one echo per refresh.
  const echoes: [string, (r: Received, c: { accessToken: string }) => string][] = [
    ['the Authorization header', (r) => `${USEFUL} Authorization: ${r.authorization}`],
    ['the posted body', (r) => `${USEFUL} Request body: ${r.body}`],
    [
      'the decoded client credentials',
      (r) => {
        const basic = r.authorization.replace(/^Basic /, '');
        const decoded = basic ? Buffer.from(basic, 'base64').toString('utf8') : '';
        const form = new URLSearchParams(r.body);
        return `${USEFUL} client=${decoded || `${form.get('client_id')}:${form.get('client_secret')}`}`;
      },
    ],
    [
      'the client secret alone, form-decoded',
      (r) => {
        const basic = r.authorization.replace(/^Basic /, '');
        const decoded = basic ? Buffer.from(basic, 'base64').toString('utf8') : '';
        const raw = decoded
          ? decodeURIComponent(decoded.slice(decoded.indexOf(':') + 1).replace(/\+/g, ' '))
          : (new URLSearchParams(r.body).get('client_secret') ?? '');
        return `${USEFUL} secret "${raw}" is wrong`;
      },
    ],
    [
      'base64url and URL-encoded forms of the header',
      (r) => {
        const basic = r.authorization.replace(/^Basic /, '');
        const value =
          basic ||
          b64(
            `${new URLSearchParams(r.body).get('client_id')}:${new URLSearchParams(r.body).get('client_secret')}`,
          );
        return `${USEFUL} cred=${encodeURIComponent(value)} alt ${Buffer.from(value, 'base64').toString('base64url')}`;
      },
    ],
    [
      'headers as JSON',
      (r) => `${USEFUL} ${JSON.stringify({ authorization: r.authorization || 'none', body: r.body })}`,
    ],
    [
      'the access token and the refresh token',
      (r, c) => `${USEFUL} at=${c.accessToken} rt ${new URLSearchParams(r.body).get('refresh_token')}`,
    ],
    [
      'credential-shaped strings the service never held',
      () => `${USEFUL} id_token ${foreignJwt} session ${foreignOpaque}`,
    ],
  ];

  /** An oauth2 auth-client whose token URL is the echoing provider. */
  const echoClient = (clientId: string, clientSecret: string, authMethod: string) =>
    createClient(http, admin.auth, tenantId, {
      name: `echo-${randomBytes(6).toString('hex')}`,
      auth_type: 'oauth2',
      oauth2: {
        client_id: clientId,
        client_secret: clientSecret,
        token_url: provider.tokenUrl,
        auth_method: authMethod,
      },
    });

  for (const authMethod of ['client_secret_basic', 'client_secret_post'] as const) {
    for (const [what, echo] of echoes) {
      it(`§7 nothing secret in error texts: ${what} echoed by the provider (${authMethod})`, async () => {
        const clientId = `client:${randomBytes(8).toString('hex')}`;
        const clientSecret = `S3cr3t/${randomBytes(18).toString('base64')}+ &~!`;
        const client = await echoClient(clientId, clientSecret, authMethod);
        const accessToken = `at.${randomBytes(20).toString('hex')}`;
        const refreshToken = `1//${randomBytes(24).toString('base64url')}`;
        const secret = await createSecret(http, admin.auth, workspaceId, client.id, {
          credentials: { access_token: accessToken, refresh_token: refreshToken, expires_in: 3600 },
        });
        let seen: Received | undefined;
        provider.answer = (r) => {
          seen = r;
          return {
            status: 400,
            body: { error: 'invalid_grant', error_description: echo(r, { accessToken }) },
          };
        };

        const refreshed = track(
          await http
            .post(`/v2/workspaces/${workspaceId}/secrets/${secret.id}/refresh`)
            .set('Authorization', admin.auth),
        );
        assertJsonApiResponse(refreshed);
        assert.equal(refreshed.status, 200, refreshed.text);
        assert.ok(seen, 'the provider was called');
        // The test's own provider must really have received what it echoes.
        if (authMethod === 'client_secret_basic') assert.match(seen.authorization, /^Basic /);
        else assert.match(seen.body, /client_secret=/);

        const read = track(
          await http
            .get(`/v2/workspaces/${workspaceId}/secrets/${secret.id}`)
            .set('Authorization', admin.auth),
        );
        assertJsonApiResponse(read);
        const stored = read.body.data.attributes.error as string;
        assert.equal(read.body.data.attributes.state, 'error');
        assert.equal(refreshed.body.data.attributes.error, stored);

        const forbidden = [
          ...forbiddenSpellings(clientId, clientSecret, [refreshToken, accessToken]),
          foreignJwt,
          foreignOpaque,
        ];
        for (const spelling of forbidden) {
          assert.ok(
            !stored.toLowerCase().includes(spelling.toLowerCase()),
            `the stored error holds ${JSON.stringify(spelling)}: ${stored}`,
          );
        }
        assert.match(stored, /invalid_grant/, stored);
        assert.ok(stored.includes(USEFUL), `the provider's own words are kept: ${stored}`);
      });
    }

    it(`§7 nothing secret in error texts: an echo in a non-rejection error code returned as 502 (${authMethod})`, async () => {
      const clientId = `client-${randomBytes(8).toString('hex')}`;
      const clientSecret = `pw-${randomBytes(18).toString('hex')}`;
      const client = await echoClient(clientId, clientSecret, authMethod);
      const refreshToken = `rt-${randomBytes(16).toString('hex')}`;
      const secret = await createSecret(http, admin.auth, workspaceId, client.id, {
        credentials: { access_token: 'at-x', refresh_token: refreshToken, expires_in: 3600 },
      });
      provider.answer = (r) => ({
        status: 400,
        body: { error: `slow_down ${r.authorization || r.body}`.slice(0, 60) },
      });
      const res = track(
        await http
          .post(`/v2/workspaces/${workspaceId}/secrets/${secret.id}/refresh`)
          .set('Authorization', admin.auth),
      );
      const [error] = expectError(res, 502, 'oauth_provider_error');
      const detail = error?.detail ?? '';
      for (const spelling of forbiddenSpellings(clientId, clientSecret, [refreshToken])) {
        // The 60-character cut may leave a prefix of an encoding; a whole one must never appear.
        assert.ok(!detail.toLowerCase().includes(spelling.toLowerCase()), `${spelling} in ${detail}`);
      }
      assert.ok(!/Basic [A-Za-z0-9+/]{8}/.test(detail), detail);
      assert.ok(!/client_secret=[^[]/.test(detail), detail);
      assert.match(detail, /slow_down/);
    });
  }
});
