// Shared helpers for the auth-client and auth-secret tests: API calls that assert their own
// success, unique credential strings, and a recorder of every response for secret-leak scans.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { assertJsonApiResponse, type HttpResponseLike } from '../support/jsonapi-schema.js';
import type { TestApp } from '../support/test-app.js';

export type Http = ReturnType<typeof request>;

export const JSONAPI = 'application/vnd.api+json';

/** A unique, greppable string: leak scans look for these. */
export const marker = (kind: string) => `${kind}-${randomBytes(12).toString('hex')}`;

export interface JsonApiResource {
  id: string;
  type: string;
  // biome-ignore lint/suspicious/noExplicitAny: documents are schema-checked by assertJsonApiResponse; tests read members freely.
  attributes: Record<string, any>;
  relationships?: Record<string, { data: { id: string; type: string } | null; links?: { related?: string } }>;
  links?: { self?: string };
}

/** Every client_secret the suite sends (through oauth2ClientAttributes), for the leak scans. */
export const usedClientSecrets = new Set<string>();

/** Every response seen by `track`, for the leak scans. */
export const seenResponses: string[] = [];

export function track<R extends HttpResponseLike & { text?: string }>(res: R): R {
  seenResponses.push(`${JSON.stringify(res.headers)}\n${res.text ?? JSON.stringify(res.body)}`);
  return res;
}

export function oauth2Credentials(expiresIn: number | string = 3600) {
  return { access_token: marker('access'), refresh_token: marker('refresh'), expires_in: expiresIn };
}

export function oauth2ClientAttributes(overrides: Record<string, unknown> = {}) {
  const clientSecret = marker('client-secret');
  usedClientSecrets.add(clientSecret);
  if (typeof overrides.client_secret === 'string') usedClientSecrets.add(overrides.client_secret);
  return {
    name: marker('client'),
    auth_type: 'oauth2',
    oauth2: {
      client_id: marker('client-id'),
      client_secret: clientSecret,
      token_url: 'https://auth.example.test/oauth/token',
      ...overrides,
    },
  };
}

export async function createClient(
  http: Http,
  auth: string,
  tenantId: string,
  attributes: Record<string, unknown> = oauth2ClientAttributes(),
): Promise<JsonApiResource> {
  const res = track(
    await http
      .post(`/v2/tenants/${tenantId}/auth-clients`)
      .set('Authorization', auth)
      .set('Content-Type', JSONAPI)
      .send({ data: { type: 'auth-client', attributes } }),
  );
  assertJsonApiResponse(res);
  assert.equal(res.status, 201, res.text);
  return res.body.data as JsonApiResource;
}

export function secretDocument(clientId: string, attributes: Record<string, unknown> = {}) {
  return {
    data: {
      type: 'auth-secret',
      attributes: { name: marker('secret'), state: 'ready', credentials: oauth2Credentials(), ...attributes },
      relationships: { 'auth-client': { data: { type: 'auth-client', id: clientId } } },
    },
  };
}

export async function createSecret(
  http: Http,
  auth: string,
  workspaceId: string,
  clientId: string,
  attributes: Record<string, unknown> = {},
): Promise<JsonApiResource> {
  const res = track(
    await http
      .post(`/v2/workspaces/${workspaceId}/secrets`)
      .set('Authorization', auth)
      .set('Content-Type', 'application/json')
      .send(secretDocument(clientId, attributes)),
  );
  assertJsonApiResponse(res);
  assert.equal(res.status, 201, res.text);
  return res.body.data as JsonApiResource;
}

/** Path and query of an absolute link, to follow it with supertest. */
export function pathOf(link: string | undefined): string {
  assert.ok(link, 'expected a link');
  const url = new URL(link);
  return `${url.pathname}${url.search}`;
}

export function httpFor(app: TestApp): Http {
  return request(app.app);
}

/** Names of the haystacks (responses, log lines) that contain any of `needles`. */
export function leaksOf(needles: Iterable<string>, haystacks: string[]): string[] {
  const found: string[] = [];
  for (const needle of needles) {
    const where = haystacks.findIndex((h) => h.includes(needle));
    if (where !== -1) found.push(`${needle.slice(0, 20)}… in ${haystacks[where]?.slice(0, 200)}`);
  }
  return found;
}
