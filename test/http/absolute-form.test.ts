// API.md §1 links and §7 (never a foreign host in a link): requests whose target is in absolute
// form (RFC 9112 §3.2.2, `GET http://host/path HTTP/1.1`), sent byte for byte over a socket because
// supertest always sends origin form. The decision is in docs/API-DECISIONS.md: absolute form is
// accepted when its authority is the Host the request carries (links then come from that Host and
// the parsed path), and refused with 400 when the two disagree, so no layer can read the request
// as being for a host other than the one its links name.
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { after, before, describe, it } from 'mocha';
import { createTenant } from '../support/factories.js';
import { assertJsonApiResponse, expectError } from '../support/jsonapi-schema.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

interface RawResponse {
  status: number;
  headers: Record<string, string | undefined>;
  body: unknown;
  text: string;
}

/** Sends `head` (request line and headers, CRLF-separated, no body) and parses the answer. */
function raw(port: number, head: string[]): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (c) => chunks.push(c));
    socket.on('error', reject);
    socket.on('end', () => {
      const all = Buffer.concat(chunks).toString('utf8');
      const split = all.indexOf('\r\n\r\n');
      const lines = all.slice(0, split).split('\r\n');
      const status = Number((lines[0] ?? '').split(' ')[1]);
      const headers: Record<string, string> = {};
      for (const line of lines.slice(1)) {
        const colon = line.indexOf(':');
        headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      let text = all.slice(split + 4);
      if (headers['transfer-encoding'] === 'chunked') text = dechunk(text);
      let body: unknown = {};
      try {
        body = JSON.parse(text);
      } catch {
        body = {};
      }
      resolve({ status, headers, body, text });
    });
    socket.write(`${[...head, 'Connection: close'].join('\r\n')}\r\n\r\n`);
  });
}

function dechunk(text: string): string {
  let out = '';
  let rest = text;
  for (;;) {
    const eol = rest.indexOf('\r\n');
    const size = Number.parseInt(rest.slice(0, eol), 16);
    if (!size) return out;
    out += rest.slice(eol + 2, eol + 2 + size);
    rest = rest.slice(eol + 2 + size + 2);
  }
}

const RFC3986_URI = /^[A-Za-z][A-Za-z0-9+.-]*:[A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=%]*$/;

/** Every string in a document that sits under a `links` member. */
function linksOf(doc: unknown, inLinks = false, out: string[] = []): string[] {
  if (typeof doc === 'string' && inLinks) out.push(doc);
  else if (Array.isArray(doc)) for (const d of doc) linksOf(d, inLinks, out);
  else if (doc && typeof doc === 'object') {
    for (const [k, v] of Object.entries(doc)) linksOf(v, inLinks || k === 'links' || k === 'related', out);
  }
  return out;
}

describe('http: absolute-form request targets (API.md §1 links, §7)', () => {
  let t: TestApp;
  let server: Server;
  let port: number;
  let auth: string;
  let userId: string;
  let tenantId: string;

  before(async () => {
    t = await createTestApp();
    server = t.app.listen(0, '127.0.0.1');
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    port = (server.address() as AddressInfo).port;
    const tenant = await createTenant(t.prisma);
    auth = tenant.admin.auth;
    userId = tenant.admin.userId;
    tenantId = tenant.tenantId;
  });
  after(async () => {
    await new Promise<void>((resolve) => server?.close(() => resolve()));
    await t?.close();
  });

  const get = (target: string, host: string) =>
    raw(port, [
      `GET ${target} HTTP/1.1`,
      `Host: ${host}`,
      `Authorization: ${auth}`,
      'Accept: application/vnd.api+json',
    ]);

  it('§7 links never name a foreign host: absolute form naming another host than Host → 400, no foreign host anywhere', async () => {
    for (const target of [
      'http://evil.example/v2/users/me',
      'http://evil.example:80/v2/users/me',
      `http://evil.example/v2/tenants/${tenantId}/users?page[size]=1`,
      `https://127.0.0.1:${port + 1}/v2/users/me`,
    ]) {
      const res = await get(target, `127.0.0.1:${port}`);
      const errors = expectError(res, 400, 'host_mismatch');
      assert.ok(!res.text.includes('evil.example'), `${target}: ${res.text}`);
      assert.ok(errors[0]?.detail, 'a detail says why');
    }
  });

  it('§7 links never name a foreign host: absolute form with the request’s own Host → links from Host and the parsed path', async () => {
    const host = `127.0.0.1:${port}`;
    const one = await get(`http://${host}/v2/users/me`, host);
    assertJsonApiResponse(one);
    assert.equal(one.status, 200, one.text);
    assert.equal(
      (one.body as { data: { links: { self: string } } }).data.links.self,
      `http://${host}/v2/users/${userId}`,
    );

    const list = await get(`http://${host}/v2/tenants/${tenantId}/users?page[size]=1`, host);
    assertJsonApiResponse(list);
    assert.equal(list.status, 200, list.text);
    assert.equal(
      (list.body as { links: { self: string } }).links.self,
      `http://${host}/v2/tenants/${tenantId}/users?page%5Bsize%5D=1`,
    );
    // The scheme and host compare case-insensitively, and an explicit default port is the same
    // authority as none (RFC 3986 §6.2.3).
    const named = await get(`HTTP://LOCALHOST:${port}/v2/tenants/${tenantId}/users`, `localhost:${port}`);
    assertJsonApiResponse(named);
    assert.equal(named.status, 200, named.text);
    assert.equal(
      (named.body as { links: { self: string } }).links.self,
      `http://localhost:${port}/v2/tenants/${tenantId}/users`,
    );
    const defaultPort = await get(`http://svc.example:80/v2/users/me`, 'svc.example');
    assertJsonApiResponse(defaultPort);
    assert.equal(defaultPort.status, 200, defaultPort.text);
    assert.equal(
      (defaultPort.body as { data: { links: { self: string } } }).data.links.self,
      `http://svc.example/v2/users/${userId}`,
    );

    for (const doc of [one, list, named, defaultPort]) {
      for (const link of linksOf(doc.body)) assert.match(link, RFC3986_URI);
    }
  });

  it('§7 links never name a foreign host: origin form is unchanged (links from Host)', async () => {
    const res = await get(`/v2/tenants/${tenantId}/users`, `127.0.0.1:${port}`);
    assertJsonApiResponse(res);
    assert.equal(res.status, 200, res.text);
    assert.equal(
      (res.body as { links: { self: string } }).links.self,
      `http://127.0.0.1:${port}/v2/tenants/${tenantId}/users`,
    );
  });
});
