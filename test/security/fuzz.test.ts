// Issue 5, "Done means": a fuzz of every route of the service with generated malformed requests.
//
// Routes come from the table wireApplication() returns (test/security/route-catalogue.ts), so a new
// route is fuzzed without touching this file. For every route, REQUESTS_PER_ROUTE requests
// (REQUESTS_PER_BODY_ROUTE for routes that take a body) are generated from a seeded PRNG
// (mulberry32; FUZZ_SEED=<n> to replay a run, FUZZ_SEED=random for a fresh one; FUZZ_ONLY=<i> to
// replay one request). Each request is generated from its own stream (the seed and its index), so a
// failure reproduces whatever the concurrency; only fixture ids and key material differ per run.
//
// INVALID BY CONSTRUCTION. A request starts as a valid one (tenant admin credentials, ids of the
// admin's own tenant, a valid body for its schema) and then gets at least one *hard* violation: a
// change that the contract (docs/API.md, docs/API-DECISIONS.md) says must be refused, whatever the rest
// of the request looks like — bad credentials, an unacceptable Accept or Content-Type, unparseable or
// too deep JSON, a body that breaks its schema (unknown or missing members, wrong types, overlong
// strings, NUL, arrays for objects) or a rule checked later (type/id mismatch, client-generated id,
// unknown permission, auth-client of another tenant…), an invalid query (unknown parameter, bad
// page[size]/page[cursor]/filter/include/fields value, a repeated parameter, too many or too long
// parameters), an id that is malformed, another tenant's, of another kind or of another scope, or a
// method the path does not serve. Soft noise (garbage or duplicate X-Request-Id, extra headers,
// acceptable Accept variants) is added on top but never counts as a violation. Values that are
// accidentally valid are kept out of the generators by design: no uppercase copies of real ids
// (PostgreSQL compares uuids case-insensitively), no trailing "/" after a real id (Express matches
// it), no "ME" for a user (Express routes case-insensitively: /v2/users/ME is /v2/users/me), no raw
// "?" or "#" in path segments, no empty segment (/v2/permissions/ would be the list), no loopback
// http token URLs (allowed in this config), no NUL where it may legitimately be stored
// (client_secret, credentials), no enum values that exist, no cursor this service could issue.
// So every response must be a 4xx; a 2xx would mean a generator let a valid request through, and the
// database check below would then catch any write.
//
// Assertions: no 5xx; every response a 4xx JSON:API error document (assertJsonApiResponse: exactly
// application/vnd.api+json, valid against the official schema) with X-Request-Id, Allow on 405 and
// WWW-Authenticate on 401; the precise status for requests whose only violation fixes it (406, 415,
// 401, 405, 404, 400); no stack trace in a body; and the database unchanged afterwards (row counts of
// every table but audit_events, checksums of every row of tenants, users, api_keys, workspaces,
// roles, memberships, auth_clients, auth_secrets). audit_events is left out on purpose: refused
// writes are audited by design (outcome failure).
// Every assert carries a message: without one, Node 20 + tsx can hang building it on failure.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'mocha';
import type { RouteDefinition } from '../../src/http/route-table.js';
import { baselineIds, createTenantFixture, type TenantFixture, validBody } from '../support/factories.js';
import { assertJsonApiResponse } from '../support/jsonapi-schema.js';
import type { RawRequest, RawResponse } from '../support/raw-http.js';
import { createTestApp, type ListeningTestApp, NO_RATE_LIMITS } from '../support/test-app.js';
import {
  type DbFingerprint,
  dbFingerprint,
  fillPath,
  fingerprintChanges,
  type IdKind,
  idKindOf,
  methodsServing,
  paramsOf,
} from './route-catalogue.js';

// Routes that take a body get more requests: their documents have the most ways to be wrong.
const REQUESTS_PER_ROUTE = 30;
const REQUESTS_PER_BODY_ROUTE = 80;
const CONCURRENCY = 6;
const DEFAULT_SEED = 0x5eed_2026;

function seedFromEnv(): number {
  const raw = process.env.FUZZ_SEED;
  if (raw === 'random') return Math.floor(Math.random() * 0xffffffff) >>> 0;
  if (raw !== undefined && raw !== '') return Number(raw) >>> 0;
  return DEFAULT_SEED;
}
const SEED = seedFromEnv();
const ONLY = process.env.FUZZ_ONLY !== undefined ? Number(process.env.FUZZ_ONLY) : undefined;

// ---------------------------------------------------------------------------------------------
// PRNG

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Rng {
  private readonly next: () => number;
  constructor(seed: number) {
    this.next = mulberry32(seed);
  }
  float(): number {
    return this.next();
  }
  /** 0 … n-1 */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  between(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list');
    return items[this.int(items.length)] as T;
  }
  hex(n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) s += '0123456789abcdef'[this.int(16)];
    return s;
  }
  uuid(): string {
    return `${this.hex(8)}-${this.hex(4)}-4${this.hex(3)}-a${this.hex(3)}-${this.hex(12)}`;
  }
  /** Printable ASCII, quotes and backslashes included. */
  ascii(n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) s += String.fromCharCode(0x20 + this.int(0x5f));
    return s;
  }
}

/** Each request draws from its own stream, so it can be regenerated alone (FUZZ_ONLY). */
const rngFor = (index: number) => new Rng((SEED ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0);

// ---------------------------------------------------------------------------------------------
// Value pools

const UNICODE_EDGES = [
  '😀',
  '\u202Eevil\u202C',
  'a\u200Db\u200B',
  'e\u0301\u0301\u0301',
  '\uFEFFbom',
  '\uD800',
  'x\uDFFFy',
  '\uDBFF\uDFFF',
  '\uFFFE\uFFFF',
  '\u2028\u2029',
  '𝕳𝖊𝖑𝖑𝖔',
  'ﷺ',
  '\u0085\u00A0',
  'İıß',
  '\u0001\u001F\u007F',
  'Z̤͔ͧ̑̓ä͖̭̈̇lͮ̒ͫǧ̗͚̚o̙̔ͮ̇͐̇',
];
const SQLISH = ["'; DROP TABLE auth_secrets; --", '" OR 1=1 --', "' OR '1'='1", '$where', '{"$gt":""}', '%'];
/** Raw path segments (sent as they are: nobody on the way normalises dot segments). */
const TRAVERSALS = [
  '..',
  '.',
  '../..',
  '..%2F..%2Fetc%2Fpasswd',
  '%2e%2e',
  '%2e%2e%2f%2e%2e%2f',
  '..\\..\\windows',
  '....//',
  '.%2e',
  '%c0%ae%c0%ae%c0%af',
  '..%00',
  '..%252f..%252f',
];
const PCT_GARBAGE = ['%ZZ', '%', '%E0%A4%A', '%C0%AF', '%00', '%FF%FE', '%u0041', '%%', '%2', '%ED%A0%80'];

const JSONAPI = 'application/vnd.api+json';

/** A path segment or query component: unreserved characters kept, everything else percent-encoded. */
function encodeComponent(value: string): string {
  let out = '';
  for (const ch of value) {
    if (/^[A-Za-z0-9._~-]$/.test(ch)) out += ch;
    else {
      const cp = ch.codePointAt(0) as number;
      // A lone surrogate has no UTF-8 form: send its (invalid) three-byte encoding.
      const bytes =
        cp >= 0xd800 && cp <= 0xdfff
          ? [0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f)]
          : [...Buffer.from(ch, 'utf8')];
      out += bytes.map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');
    }
  }
  return out;
}

/** "filter[user]" with each bracket raw or percent-encoded (both are accepted, API.md §1). */
function encodeKey(key: string, rng: Rng): string {
  return key.replace(/[[\]]/g, (b) => rng.pick(b === '[' ? ['[', '%5B', '%5b'] : [']', '%5D', '%5d']));
}

function randomJson(rng: Rng, depth = 0): unknown {
  switch (rng.int(depth > 2 ? 6 : 8)) {
    case 0:
      return rng.ascii(rng.between(0, 20));
    case 1:
      return rng.pick([0, -1, 1.5, 1e308, -0, 2 ** 53 + 1]);
    case 2:
      return rng.pick([true, false]);
    case 3:
      return null;
    case 4:
      return rng.pick(UNICODE_EDGES);
    case 5:
      return rng.pick(SQLISH);
    case 6:
      return [randomJson(rng, depth + 1), randomJson(rng, depth + 1)];
    default:
      return { [rng.ascii(5)]: randomJson(rng, depth + 1) };
  }
}

const deepArray = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;
const deepObject = (n: number) => `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`;
function deepValue(n: number): unknown {
  let v: unknown = 'bottom';
  for (let i = 0; i < n; i++) v = i % 2 === 0 ? { d: v } : [v];
  return v;
}

// ---------------------------------------------------------------------------------------------
// Requests under construction

// biome-ignore lint/suspicious/noExplicitAny: bodies are mangled JSON; only the responses are checked.
type Json = any;

interface World {
  a: TenantFixture;
  b: TenantFixture;
  routes: RouteDefinition[];
  baseline: Record<IdKind, string>;
}

interface Draft {
  route: RouteDefinition;
  method: string;
  /** Raw path segment per parameter. */
  params: Record<string, string>;
  /** Raw "name=value" pairs. */
  query: string[];
  headers: Record<string, string | string[]>;
  /** The JSON body (serialised at the end) … */
  doc?: Json;
  /** … or raw bytes instead. */
  raw?: string | Buffer;
}

type Category = 'body-syntax' | 'body-schema' | 'header' | 'auth' | 'query' | 'id' | 'method';

interface Violation {
  name: string;
  category: Category;
  /** The status a request gets when this is its only violation (checked then). */
  expect?: readonly number[];
  applies(d: Draft, w: World): boolean;
  apply(d: Draft, rng: Rng, w: World): void;
}

function setHeader(d: Draft, name: string, value: string | string[] | undefined): void {
  for (const k of Object.keys(d.headers)) if (k.toLowerCase() === name.toLowerCase()) delete d.headers[k];
  if (value !== undefined) d.headers[name] = value;
}

const isPublic = (r: RouteDefinition) => r.access.kind === 'public';
const scopedParams = (r: RouteDefinition) =>
  paramsOf(r.path).filter((p) => ['tenant', 'workspace', 'user'].includes(p));

function getAt(doc: Json, path: readonly string[]): Json {
  let v = doc;
  for (const k of path) v = v?.[k];
  return v;
}
function setAt(doc: Json, path: readonly string[], value: unknown): void {
  const parent = getAt(doc, path.slice(0, -1));
  // defineProperty: a member named "__proto__" must become an own member, not the prototype.
  Object.defineProperty(parent, path[path.length - 1] as string, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}
function deleteAt(doc: Json, path: readonly string[]): void {
  delete getAt(doc, path.slice(0, -1))[path[path.length - 1] as string];
}

// ---------------------------------------------------------------------------------------------
// Body schemas: typed members, required members, containers and checks made after the schema

type MemberKind = 'string' | 'nullable-string' | 'enum' | 'object' | 'string-array' | 'integer' | 'uuid';
interface MemberSpec {
  path: string[];
  kind: MemberKind;
  max?: number;
  /** U+0000 must be refused here (it would end up in a text column, or breaks a format). */
  nul?: boolean;
  values?: string[];
}

const A = (...p: string[]) => ['data', 'attributes', ...p];
const NAME: MemberSpec = { path: A('name'), kind: 'string', max: 200, nul: true };

interface SchemaSpec {
  members: MemberSpec[];
  required: string[][];
  /** Objects whose unknown members the schema refuses. */
  closed: string[][];
  /** Member names that are read-only or not accepted in a given container (joined path). */
  refused?: Record<string, string[]>;
  /** Checks made after the schema that this document must fail (one is picked). */
  late: ((doc: Json, rng: Rng, w: World) => void)[];
  /** Definite violations specific to the resource. */
  specific: ((doc: Json, rng: Rng, w: World) => void)[];
}

const wrongType = (doc: Json) => {
  doc.data.type = `${doc.data.type}s`;
};
const clientGeneratedId = (doc: Json, rng: Rng) => {
  doc.data.id = rng.uuid();
};
const idMismatch = (doc: Json, rng: Rng, w: World) => {
  doc.data.id = rng.pick([rng.uuid(), w.a.tenantId, w.b.ws1.id, rng.pick(UNICODE_EDGES), '']);
};
const CREATE_LATE = [wrongType, clientGeneratedId];
const PATCH_LATE = [wrongType, idMismatch];
const PATCH_REQUIRED = [['data'], ['data', 'type'], ['data', 'id']];
const CLOSED = [[], ['data'], ['data', 'attributes']];

const toOne = (doc: Json, name: string, type: string, id: string) => {
  doc.data.relationships ??= {};
  doc.data.relationships[name] = { data: { type, id } };
};

const SCHEMAS: Record<string, SchemaSpec> = {
  'user-create': {
    members: [
      { path: A('email'), kind: 'string', max: 320, nul: true },
      NAME,
      { path: A('tenant_role'), kind: 'enum', values: ['admin', 'member'], nul: true },
    ],
    required: [['data'], ['data', 'type'], ['data', 'attributes'], A('email'), A('name')],
    closed: [...CLOSED, ['data', 'relationships']],
    refused: { 'data.relationships': ['tenant'] },
    late: CREATE_LATE,
    specific: [
      (doc, rng) => {
        doc.data.attributes.email = rng.pick(['not-an-email', '@example.test', 'a@', 'a b@example.test', '']);
      },
      (doc, rng, w) => {
        doc.data.attributes.email = rng.pick([w.a.admin.email, w.a.member.email, w.b.admin.email]);
      },
      (doc, rng) => {
        doc.data.attributes.tenant_role = rng.pick(['owner', 'Admin', 'root', 'viewer']);
      },
      (doc) => {
        doc.data.attributes.name = '   ';
      },
    ],
  },
  'api-key-create': {
    members: [
      NAME,
      { path: A('scopes'), kind: 'string-array' },
      { path: A('expires_at'), kind: 'nullable-string', max: 40, nul: true },
    ],
    required: [['data'], ['data', 'type'], ['data', 'attributes'], A('name')],
    closed: [...CLOSED, ['data', 'relationships']],
    refused: { 'data.attributes': ['key', 'revoked_at'] },
    late: CREATE_LATE,
    specific: [
      (doc, rng) => {
        doc.data.attributes.expires_at = rng.pick([
          'tomorrow',
          '2000-01-01T00:00:00Z',
          '1970-01-01T00:00:00.000Z',
          '2030-13-45T99:99:99Z',
          '',
        ]);
      },
      (doc, rng) => {
        doc.data.attributes.scopes = [
          rng.pick(['workspaces.nope.get', 'tenants.user.destroy', 'WORKSPACES.X.Y', '*']),
        ];
      },
      (doc) => {
        doc.data.attributes.scopes = Array.from({ length: 51 }, (_, i) => `workspaces.s${i}.get`);
      },
    ],
  },
  'workspace-create': {
    members: [NAME],
    required: [['data'], ['data', 'type'], ['data', 'attributes'], A('name')],
    closed: [...CLOSED, ['data', 'relationships']],
    late: CREATE_LATE,
    specific: [
      (doc, rng) => {
        doc.data.attributes.name = rng.pick(['', ' ', '\t\n', '\u00A0']);
      },
    ],
  },
  'workspace-update': {
    members: [NAME],
    required: PATCH_REQUIRED,
    closed: [...CLOSED, ['data', 'relationships']],
    late: PATCH_LATE,
    specific: [
      (doc, rng) => {
        doc.data.attributes.name = rng.pick(['', ' ', '\t\n']);
      },
    ],
  },
  'membership-create': {
    members: [
      { path: A('role'), kind: 'string', max: 200, nul: true },
      { path: ['data', 'relationships', 'user', 'data', 'id'], kind: 'uuid' },
      { path: ['data', 'relationships', 'user', 'data', 'type'], kind: 'string', max: 50 },
    ],
    required: [
      ['data'],
      ['data', 'type'],
      ['data', 'attributes'],
      A('role'),
      ['data', 'relationships'],
      ['data', 'relationships', 'user'],
      ['data', 'relationships', 'user', 'data'],
    ],
    closed: [...CLOSED, ['data', 'relationships'], ['data', 'relationships', 'user']],
    late: [
      ...CREATE_LATE,
      (doc) => {
        doc.data.relationships.user.data.type = 'users';
      },
    ],
    specific: [
      (doc, rng, w) => {
        // Another tenant's user, a user that does not exist, one who is already a member.
        doc.data.relationships.user.data.id = rng.pick([
          w.b.member.userId,
          w.b.admin.userId,
          rng.uuid(),
          w.a.member.userId,
        ]);
      },
      (doc, rng, w) => {
        doc.data.attributes.role = rng.pick(['nope', 'superuser', w.b.role.name, 'owner ']);
      },
      (doc, rng, w) => {
        doc.data.relationships.user.data.id = rng.pick([
          `urn:uuid:${w.a.outsider.userId}`,
          `{${w.a.outsider.userId}}`,
          w.a.outsider.userId.replace(/-/g, ''),
        ]);
      },
    ],
  },
  'membership-update': {
    members: [{ path: A('role'), kind: 'string', max: 200, nul: true }],
    required: [...PATCH_REQUIRED, ['data', 'attributes'], A('role')],
    closed: [...CLOSED, ['data', 'relationships']],
    late: PATCH_LATE,
    specific: [
      (doc, rng, w) => {
        doc.data.attributes.role = rng.pick(['nope', w.b.role.name, 'Viewer ']);
      },
    ],
  },
  'role-create': {
    members: [NAME, { path: A('permissions'), kind: 'string-array' }],
    required: [['data'], ['data', 'type'], ['data', 'attributes'], A('name'), A('permissions')],
    closed: [...CLOSED, ['data', 'relationships']],
    refused: { 'data.attributes': ['built_in'] },
    late: CREATE_LATE,
    specific: [
      (doc, rng) => {
        doc.data.attributes.permissions = [
          rng.pick([
            'tenants.user.get',
            'tenants.role.create',
            'workspaces.nope.get',
            'workspaces.workspace.get.x',
          ]),
        ];
      },
      (doc) => {
        doc.data.attributes.permissions = ['workspaces.workspace.get', 'workspaces.workspace.get'];
      },
      (doc, _rng, w) => {
        doc.data.attributes.name = w.a.role.name;
      },
    ],
  },
  'role-update': {
    members: [NAME, { path: A('permissions'), kind: 'string-array' }],
    required: PATCH_REQUIRED,
    closed: [...CLOSED, ['data', 'relationships']],
    refused: { 'data.attributes': ['built_in'] },
    late: PATCH_LATE,
    specific: [
      (doc, rng) => {
        doc.data.attributes.permissions = [rng.pick(['tenants.user.get', 'workspaces.nope.get'])];
      },
    ],
  },
  'auth-client-create': {
    members: [
      NAME,
      { path: A('auth_type'), kind: 'enum', values: ['oauth2', 'other'], nul: true },
      { path: A('oauth2'), kind: 'object' },
      { path: A('oauth2', 'client_id'), kind: 'string', max: 500, nul: true },
      { path: A('oauth2', 'client_secret'), kind: 'string', max: 4096 },
      { path: A('oauth2', 'token_url'), kind: 'string', max: 2048, nul: true },
      { path: A('oauth2', 'authorize_url'), kind: 'nullable-string', max: 2048, nul: true },
      { path: A('oauth2', 'scopes'), kind: 'string-array' },
      {
        path: A('oauth2', 'auth_method'),
        kind: 'enum',
        values: ['client_secret_basic', 'client_secret_post'],
        nul: true,
      },
    ],
    required: [
      ['data'],
      ['data', 'type'],
      ['data', 'attributes'],
      A('name'),
      A('auth_type'),
      A('oauth2'),
      A('oauth2', 'client_id'),
      A('oauth2', 'client_secret'),
      A('oauth2', 'token_url'),
    ],
    closed: [...CLOSED, ['data', 'relationships'], A('oauth2')],
    refused: { 'data.attributes': ['client_secret_set'], 'data.attributes.oauth2': ['client_secret_set'] },
    late: CREATE_LATE,
    specific: [
      (doc, rng) => {
        doc.data.attributes.oauth2.token_url = rng.pick([
          'http://auth.example.test/token',
          'https://user:pw@auth.example.test/token',
          'https://auth.example.test/token#frag',
          'ftp://auth.example.test/token',
          'javascript:alert(1)',
          'not a url',
          '//auth.example.test/token',
        ]);
      },
      (doc, rng) => {
        doc.data.attributes.oauth2.authorize_url = rng.pick([
          'http://auth.example.test/authorize',
          'https://a:b@x.test/',
          'nope',
        ]);
      },
      (doc) => {
        doc.data.attributes.auth_type = 'other';
      },
      (doc) => {
        delete doc.data.attributes.oauth2;
      },
      (doc, rng) => {
        doc.data.attributes.oauth2.scopes = [rng.pick(['has space', 'quote"', 'back\\slash', ''])];
      },
      (doc) => {
        doc.data.attributes.oauth2.scopes = Array.from({ length: 101 }, (_, i) => `s${i}`);
      },
      (doc, _rng, w) => {
        doc.data.attributes.name = w.a.clients.other.name;
      },
    ],
  },
  'auth-client-update': {
    members: [NAME, { path: A('auth_type'), kind: 'enum', values: ['oauth2', 'other'] }],
    required: PATCH_REQUIRED,
    closed: [...CLOSED, ['data', 'relationships']],
    refused: { 'data.attributes': ['client_secret_set'] },
    late: PATCH_LATE,
    specific: [
      (doc) => {
        doc.data.attributes.auth_type = 'other';
      },
      (doc) => {
        doc.data.attributes.oauth2 = null;
      },
      (doc, rng) => {
        doc.data.attributes.oauth2 = {
          token_url: rng.pick(['http://auth.example.test/t', 'https://u:p@x.test/t']),
        };
      },
      (doc, _rng, w) => {
        doc.data.attributes.name = w.a.clients.other.name;
      },
    ],
  },
  'auth-secret-create': {
    members: [
      NAME,
      { path: A('state'), kind: 'enum', values: ['ready', 'error'], nul: true },
      { path: A('error'), kind: 'nullable-string', max: 2000, nul: true },
      { path: A('credentials'), kind: 'object' },
      { path: A('credentials', 'access_token'), kind: 'string', max: 16384 },
      { path: A('credentials', 'refresh_token'), kind: 'string', max: 16384 },
      { path: A('credentials', 'expires_in'), kind: 'integer' },
      { path: ['data', 'relationships', 'auth-client', 'data', 'id'], kind: 'uuid' },
    ],
    required: [
      ['data'],
      ['data', 'type'],
      ['data', 'attributes'],
      A('name'),
      A('state'),
      A('credentials'),
      ['data', 'relationships'],
      ['data', 'relationships', 'auth-client'],
      ['data', 'relationships', 'auth-client', 'data'],
      A('credentials', 'access_token'),
      A('credentials', 'refresh_token'),
      A('credentials', 'expires_in'),
    ],
    // credentials of an oauth2 client: exactly three members (API.md §4).
    closed: [
      ...CLOSED,
      ['data', 'relationships'],
      ['data', 'relationships', 'auth-client'],
      A('credentials'),
    ],
    refused: {
      'data.attributes': ['expires_at', 'refreshed_at', 'created_at'],
      'data.relationships': ['workspace', 'user'],
    },
    late: [
      ...CREATE_LATE,
      (doc) => {
        doc.data.relationships['auth-client'].data.type = 'user';
      },
    ],
    specific: [
      (doc, rng, w) => {
        // Another tenant's auth-client, or none at all (API.md §4: 404), under either name.
        const id = rng.pick([w.b.clients.oauth2.id, w.b.clients.other.id, rng.uuid()]);
        delete doc.data.relationships['auth-client'];
        toOne(doc, rng.pick(['auth-client', 'auth_client']), 'auth-client', id);
      },
      (doc, _rng, w) => {
        toOne(doc, 'auth_client', 'auth-client', w.a.clients.oauth2.id);
      },
      (doc, rng) => {
        doc.data.attributes.credentials.expires_in = rng.pick([
          -1,
          1.5,
          'abc',
          '12345678901',
          2147483648,
          '',
          '-5',
          '1e3',
        ]);
      },
      (doc, rng) => {
        doc.data.attributes.credentials[rng.pick(['access_token', 'refresh_token'])] = '';
      },
      (doc) => {
        doc.data.attributes.credentials.access_token = 'a'.repeat(16385);
      },
      (doc, rng, w) => {
        // An `other` client takes any object, but at most 16 levels deep and 64 KiB.
        doc.data.relationships['auth-client'].data.id = w.a.clients.other.id;
        doc.data.attributes.credentials = rng.chance(0.5)
          ? { deep: deepValue(rng.between(17, 26)) }
          : { big: 'x'.repeat(65 * 1024) };
      },
      (doc, rng) => {
        doc.data.attributes.state = rng.pick(['refreshing', 'READY', 'ok', '']);
      },
      (doc) => {
        doc.data.relationships['auth-client'].data = null;
      },
    ],
  },
  'auth-secret-update': {
    members: [
      NAME,
      { path: A('state'), kind: 'enum', values: ['ready', 'error'], nul: true },
      { path: A('error'), kind: 'nullable-string', max: 2000, nul: true },
      { path: A('credentials'), kind: 'object' },
    ],
    required: PATCH_REQUIRED,
    closed: [...CLOSED, ['data', 'relationships']],
    refused: {
      'data.attributes': ['expires_at', 'refreshed_at'],
      'data.relationships': ['workspace', 'user'],
    },
    late: PATCH_LATE,
    specific: [
      (doc, rng) => {
        // The secret's client is oauth2: its credentials must have exactly the three members.
        doc.data.attributes.credentials = rng.pick([
          {},
          { access_token: 'a' },
          { access_token: 'a', refresh_token: 'r', expires_in: 1, x: 1 },
        ]);
      },
      (doc, rng, w) => {
        toOne(
          doc,
          rng.pick(['auth-client', 'auth_client']),
          'auth-client',
          rng.pick([w.b.clients.oauth2.id, rng.uuid()]),
        );
      },
      (doc, _rng, w) => {
        toOne(doc, 'auth-client', 'auth-client', w.a.clients.oauth2.id);
        toOne(doc, 'auth_client', 'auth-client', w.a.clients.oauth2.id);
      },
      (doc, _rng, w) => {
        // A relationship of another type: 409 type_mismatch.
        toOne(doc, 'auth-client', 'user', w.a.clients.other.id);
      },
    ],
  },
  authcheck: {
    members: [
      { path: ['meta', 'checks', 'k', 'permission'], kind: 'string', max: 100, nul: true },
      { path: ['meta', 'checks', 'k', 'workspace'], kind: 'nullable-string', max: 100 },
    ],
    required: [['meta'], ['meta', 'checks'], ['meta', 'checks', 'k', 'permission']],
    closed: [[], ['meta'], ['meta', 'checks', 'k']],
    late: [
      (doc, rng) => {
        doc.meta.checks.k.permission = rng.pick([
          'workspaces.nope.get',
          'tenants.x.y',
          'workspaces.auth_secret.read',
        ]);
      },
    ],
    specific: [
      (doc) => {
        delete doc.meta.checks.k.workspace;
      },
      (doc) => {
        doc.meta.checks = {};
      },
      (doc) => {
        for (let i = 0; i < 101; i++) doc.meta.checks[`c${i}`] = { permission: 'tenants.user.get' };
      },
      (doc) => {
        doc.meta.checks['x'.repeat(101)] = { permission: 'tenants.user.get' };
      },
      (doc) => {
        doc.data = { type: 'authcheck' };
      },
    ],
  },
};

const GENERIC_UNKNOWN = [
  'created_at',
  'updated_at',
  'links',
  '__proto__',
  'constructor',
  'Name',
  'name ',
  '😀',
  '\uD800',
  '',
  'TYPE',
  'x\u0000y',
];

function wrongValueFor(spec: MemberSpec, rng: Rng): unknown {
  switch (spec.kind) {
    case 'string':
      return rng.pick([42, -1.5, true, false, null, [], ['x'], {}, { a: 'b' }]);
    case 'nullable-string':
      return rng.pick([42, true, [], ['x'], {}, { a: 'b' }]);
    case 'enum':
      return rng.pick(['nope', '', 7, null, [], {}, true].filter((v) => !spec.values?.includes(v as string)));
    case 'object':
      return rng.pick(['str', 42, true, null, [], [{}]]);
    case 'string-array':
      return rng.pick(['str', 42, {}, null, [1], [null], [[]], [{}]]);
    case 'integer':
      return rng.pick([true, null, [], {}, 1.5, -1, 'abc', '1.5', '', 2 ** 31]);
    case 'uuid':
      return rng.pick([
        42,
        null,
        [],
        {},
        true,
        'not-a-uuid',
        '',
        'g'.repeat(36),
        '12345678-1234-1234-1234-1234567890123',
      ]);
  }
}

function tooLong(spec: MemberSpec, rng: Rng): string {
  const max = spec.max ?? 1000;
  const n = Math.min(max + 1 + rng.int(max * 3 + 1), 300_000);
  if (spec.path.at(-1) === 'email') return `${'a'.repeat(n)}@example.test`;
  // maxLength counts code points: one emoji is one.
  return rng.chance(0.5) ? 'x'.repeat(n) : '😀'.repeat(Math.min(n, 100_000));
}

function withNul(value: unknown, rng: Rng): string {
  const s = typeof value === 'string' && value.length > 0 ? value : 'value';
  const at = rng.int(s.length + 1);
  return `${s.slice(0, at)}\u0000${s.slice(at)}`;
}

/** Every object container present in the document (for "array/scalar where an object belongs"). */
function objectContainers(doc: Json): string[][] {
  const found: string[][] = [];
  const walk = (v: Json, path: string[]) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return;
    found.push(path);
    if (path.includes('credentials')) return;
    for (const [k, child] of Object.entries(v)) walk(child, [...path, k]);
  };
  walk(doc, []);
  return found;
}

// Definite schema violations of a valid template (any route whose body schema is described above).
const SCHEMA_MUTATIONS: Record<string, (doc: Json, spec: SchemaSpec, rng: Rng, w: World) => Json> = {
  'unknown-member': (doc, spec, rng) => {
    const container = rng.pick(spec.closed.filter((p) => getAt(doc, p) !== undefined));
    const names = [...GENERIC_UNKNOWN, `x_${rng.hex(6)}`, ...(spec.refused?.[container.join('.')] ?? [])];
    const name = rng.pick(names.filter((n) => !(container.length === 0 && n === 'data')));
    setAt(doc, [...container, name], randomJson(rng));
    return doc;
  },
  'wrong-type': (doc, spec, rng) => {
    const m = rng.pick(spec.members.filter((x) => getAt(doc, x.path.slice(0, -1)) !== undefined));
    setAt(doc, m.path, wrongValueFor(m, rng));
    return doc;
  },
  'too-long': (doc, spec, rng) => {
    const m = rng.pick(
      spec.members.filter((x) => x.max !== undefined && getAt(doc, x.path.slice(0, -1)) !== undefined),
    );
    setAt(doc, m.path, tooLong(m, rng));
    return doc;
  },
  nul: (doc, spec, rng) => {
    const m = rng.pick(spec.members.filter((x) => x.nul && getAt(doc, x.path.slice(0, -1)) !== undefined));
    setAt(doc, m.path, withNul(getAt(doc, m.path), rng));
    return doc;
  },
  'missing-member': (doc, spec, rng) => {
    const path = rng.pick(spec.required.filter((p) => getAt(doc, p) !== undefined));
    deleteAt(doc, path);
    return doc;
  },
  'array-for-object': (doc, _spec, rng) => {
    const path = rng.pick(objectContainers(doc));
    if (path.length === 0) return [doc];
    setAt(doc, path, rng.chance(0.5) ? [getAt(doc, path)] : []);
    return doc;
  },
  'scalar-for-object': (doc, _spec, rng) => {
    const path = rng.pick(objectContainers(doc).filter((p) => p.length > 0));
    setAt(doc, path, rng.pick(['', 'object', 0, true, null]));
    return doc;
  },
  'deep-nesting': (doc, spec, rng) => {
    // Deeper than 32 levels anywhere in the document: 400 json_too_deep before any schema.
    const container = rng.pick(spec.closed.filter((p) => getAt(doc, p) !== undefined));
    setAt(doc, [...container, `deep_${rng.hex(4)}`], deepValue(rng.between(33, 400)));
    return doc;
  },
  'unicode-then-late': (doc, spec, rng, w) => {
    // Edge-case strings everywhere a string goes (they pass the schema or not), then a check made
    // after the schema that must fail: the values travel as far as the request can get.
    for (const m of spec.members) {
      if (m.kind === 'string' && getAt(doc, m.path.slice(0, -1)) !== undefined && !m.path.includes('email'))
        setAt(doc, m.path, `${rng.pick(UNICODE_EDGES)}${rng.pick(UNICODE_EDGES)}`);
    }
    rng.pick(spec.late)(doc, rng, w);
    return doc;
  },
  late: (doc, spec, rng, w) => {
    rng.pick(spec.late)(doc, rng, w);
    return doc;
  },
  specific: (doc, spec, rng, w) => {
    rng.pick(spec.specific)(doc, rng, w);
    return doc;
  },
};

// ---------------------------------------------------------------------------------------------
// Violations

const BAD_ACCEPT = [
  'text/html',
  'application/xml',
  'image/png',
  'text/plain;q=1',
  'application/vnd.api+json; charset=utf-8',
  'application/vnd.api+json; foo=bar',
  'application/json;q=0',
  'application/json;q=0.0',
  '*/*;q=0',
  'application/vnd.api+json;q=0, text/html',
  'garbage',
  '!!!',
  'application/',
  '/json',
  'text/*',
  'application/vnd.api+jsonx',
  'application/json-patch+json',
];
const BAD_CONTENT_TYPE: (string | string[])[] = [
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/vnd.api+json; charset=utf-8',
  'application/vnd.api+json; foo=bar',
  'application/vnd.api+json; version=1',
  'application/xml',
  'application/jsonx',
  'application/vnd.api+jsonx',
  '',
  'garbage',
  'json',
  'application/octet-stream',
  'text/json',
  'application/json; charset=latin1',
  'application/json; charset=iso-8859-1',
  ['text/plain', 'application/json'],
];
const NOT_JSON = [
  'hello',
  '<xml/>',
  'data=1',
  "{'data':1}",
  '{data:1}',
  'NaN',
  'undefined',
  '{"a":1,}',
  '[1,]',
  '{"a":01}',
  '{"a":"\u0001"}',
  '{"a":1}}',
  '}{',
  '{"a":1\u0000}',
  ' ',
  '\uFEFF\uFEFF{}',
  '{"a":"\\uZZZZ"}',
  '{"a":"\\x41"}',
];
const TOP_LEVEL_PRIMITIVES = ['"string"', '42', 'true', 'null', '-0', '1e999', '""'];

function bodyPlaceholder(d: Draft): string {
  return d.doc !== undefined ? JSON.stringify(d.doc) : '{"data":{"type":"x","attributes":{}}}';
}

const OTHER_TENANT_CALLER = 'auth/other-tenant-caller';

const VIOLATIONS: Violation[] = [
  // --- headers
  {
    name: 'header/accept',
    category: 'header',
    expect: [406],
    applies: () => true,
    apply: (d, rng) => setHeader(d, 'Accept', rng.pick(BAD_ACCEPT)),
  },
  {
    name: 'header/content-type',
    category: 'header',
    expect: [415],
    applies: () => true,
    apply: (d, rng) => {
      if (d.doc === undefined && d.raw === undefined) d.raw = bodyPlaceholder(d);
      setHeader(d, 'Content-Type', rng.pick(BAD_CONTENT_TYPE));
    },
  },
  // --- authentication (never a public route: there it changes nothing)
  {
    name: 'auth/bad-credentials',
    category: 'auth',
    expect: [401],
    applies: (d) => !isPublic(d.route),
    apply: (d, rng, w) => {
      const b64 = (s: string) => Buffer.from(s, 'latin1').toString('base64');
      const admin = w.a.admin;
      const value = rng.pick<string | string[] | undefined>([
        undefined,
        '',
        'Basic',
        'Basic ',
        'Basic !!!',
        `Basic ${b64('no-colon')}`,
        `Basic ${b64(':')}`,
        `Basic ${b64(`${admin.email}:`)}`,
        `Basic ${b64(`${admin.email}:${rng.ascii(30)}`)}`,
        `Basic ${b64(`${admin.email}:${admin.apiKey}x`)}`,
        `Basic ${b64(`${admin.email}:${admin.apiKey.slice(0, -1)}`)}`,
        `Basic ${b64(`${w.b.admin.email}:${admin.apiKey}`)}`,
        `Basic ${b64(`${admin.email}:${w.b.admin.apiKey}`)}`,
        `Basic ${b64(`${rng.pick(UNICODE_EDGES)}:${admin.apiKey}`)}`,
        'Bearer',
        `Bearer ${rng.ascii(40)}`,
        `Bearer ${admin.apiKey.slice(0, -2)}`,
        `Bearer ${'x'.repeat(rng.between(1000, 12000))}`,
        `Basic ${'A'.repeat(rng.between(1000, 12000))}`,
        'Digest username="admin", realm="x"',
        `Token ${admin.apiKey}`,
        `${admin.apiKey}`,
        `Basic\u00e9 ${b64(`${admin.email}:${admin.apiKey}`)}`,
        w.a.revokedAuth,
        ['garbage', admin.auth],
      ]);
      setHeader(d, 'Authorization', value);
    },
  },
  {
    name: OTHER_TENANT_CALLER,
    category: 'auth',
    expect: [404],
    // Valid credentials of tenant B on a route scoped to tenant A's tenant/workspace/user.
    applies: (d) => scopedParams(d.route).length > 0,
    apply: (d, rng, w) => setHeader(d, 'Authorization', rng.pick([w.b.admin.auth, w.b.member.auth])),
  },
  // --- query strings
  {
    name: 'query/unknown-parameter',
    category: 'query',
    expect: [400],
    applies: () => true,
    apply: (d, rng) => {
      const key = rng.pick([
        'foo',
        'sort',
        'page[number]',
        'page[offset]',
        'page[limit]',
        'filter[nope]',
        'filter[__proto__]',
        'fields',
        '__proto__',
        'constructor',
        'toString',
        'filter',
        'page',
        'q',
        'a[b][c]',
        'filter[user][x]',
        'page[size][]',
        'FILTER[state]',
        'Page[size]',
        '',
        rng.ascii(8),
        rng.pick(UNICODE_EDGES),
        rng.pick(SQLISH),
      ]);
      const name =
        /^[\x21-\x7e]*$/.test(key) && !/[&=#%+ ?]/.test(key) ? encodeKey(key, rng) : encodeComponent(key);
      d.query.push(`${name}=${encodeComponent(String(randomJson(rng)))}`);
    },
  },
  {
    name: 'query/page-size',
    category: 'query',
    expect: [400],
    applies: () => true,
    apply: (d, rng) => {
      const v = rng.pick([
        '0',
        '201',
        '-1',
        '1.5',
        '1e2',
        'abc',
        '',
        '%205',
        '0x10',
        '99999',
        'NaN',
        'Infinity',
        '%2B5',
        '5%20',
        '%00',
        '%ZZ',
        encodeComponent('１０'),
        '2000',
        '00000',
        '0000',
      ]);
      d.query.push(`${encodeKey('page[size]', rng)}=${v}`);
    },
  },
  {
    name: 'query/page-cursor',
    category: 'query',
    expect: [400],
    applies: () => true,
    apply: (d, rng, w) => {
      const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64url');
      const v = rng.pick([
        '',
        'abc',
        '!!!',
        b64('not-a-uuid'),
        b64(w.a.ws1.id.toUpperCase()),
        b64(`${w.a.ws1.id}x`),
        b64(` ${w.a.ws1.id}`),
        'A'.repeat(65),
        '%ZZ',
        b64(rng.ascii(30)).slice(0, 60),
        w.a.ws1.id,
      ]);
      d.query.push(`${encodeKey('page[cursor]', rng)}=${v}`);
    },
  },
  {
    name: 'query/repeated-parameter',
    category: 'query',
    expect: [400],
    applies: () => true,
    apply: (d, rng, w) => {
      const filters = Object.keys(d.route.query?.filters ?? {});
      const [key, value] = rng.pick<[string, string]>([
        ['page[size]', '10'],
        ['include', 'user'],
        ['fields[user]', 'email'],
        ...filters.map((f): [string, string] => [`filter[${f}]`, f === 'state' ? 'ready' : w.a.admin.userId]),
      ]);
      d.query.push(`${encodeKey(key, rng)}=${value}`, `${encodeKey(key, rng)}=${value}`);
    },
  },
  {
    name: 'query/filter-value',
    category: 'query',
    expect: [400],
    applies: () => true,
    apply: (d, rng) => {
      const filters = d.route.query?.filters ?? {};
      const names = Object.keys(filters);
      if (names.length === 0) {
        d.query.push(
          `${encodeKey(`filter[${rng.pick(['user', 'state', 'email', 'x'])}]`, rng)}=${rng.hex(4)}`,
        );
        return;
      }
      const name = rng.pick(names);
      const kind = filters[name];
      let v: string;
      if (kind === 'uuid')
        v = rng.pick([
          'not-a-uuid',
          '',
          `${rng.uuid()}x`,
          rng.uuid().replace(/-/g, ''),
          `{${rng.uuid()}}`,
          '%ZZ',
          '%00',
          encodeComponent(rng.pick(SQLISH)),
        ]);
      else if (typeof kind === 'object')
        v = rng.pick([
          '',
          'READY',
          'ready%20',
          'unknown',
          'ready,error',
          '%00',
          encodeComponent(rng.pick(UNICODE_EDGES)),
        ]);
      else v = rng.pick(['', '%00', `a%00b`, 'x'.repeat(rng.between(321, 1000))]);
      d.query.push(`${encodeKey(`filter[${name}]`, rng)}=${v}`);
    },
  },
  {
    name: 'query/include',
    category: 'query',
    expect: [400],
    applies: () => true,
    apply: (d, rng) => {
      const v = rng.pick([
        'bogus',
        'auth-client,bogus',
        'auth-client.user',
        '',
        ',',
        'AUTH-CLIENT',
        'auth_client',
        'user,,workspace',
        encodeComponent(rng.pick(UNICODE_EDGES)),
      ]);
      d.query.push(`include=${v}`);
    },
  },
  {
    name: 'query/fields',
    category: 'query',
    expect: [400],
    applies: () => true,
    apply: (d, rng) => {
      const [k, v] = rng.pick<[string, string]>([
        ['fields[nope]', 'a'],
        ['fields[auth-secret]', 'nope'],
        ['fields[user]', 'email,nope'],
        ['fields[]', 'x'],
        ['fields[auth-secret]', 'credentials,,'],
        ['fields[__proto__]', 'x'],
        ['fields[workspace]', encodeComponent(rng.pick(UNICODE_EDGES))],
        ['fields[user]', '%00'],
      ]);
      d.query.push(`${encodeKey(k, rng)}=${v}`);
    },
  },
  {
    name: 'query/too-long',
    category: 'query',
    expect: [400],
    applies: () => true,
    apply: (d, rng) => {
      const n = rng.between(1025, 4000);
      if (rng.chance(0.5)) d.query.push(`${encodeKey('filter[email]', rng)}=${'x'.repeat(n)}`);
      else d.query.push(`${'k'.repeat(n)}=1`);
    },
  },
  {
    name: 'query/too-many',
    category: 'query',
    expect: [400],
    applies: () => true,
    apply: (d, rng) => {
      const n = rng.between(31, 60);
      for (let i = 0; i < n; i++) d.query.push(`${encodeKey('page[size]', rng)}=${i}`);
    },
  },
  {
    name: 'query/percent-garbage',
    category: 'query',
    expect: [400],
    applies: () => true,
    apply: (d, rng) => {
      const g = rng.pick(PCT_GARBAGE);
      d.query.push(rng.chance(0.5) ? `${g}=1` : `${encodeKey('filter[user]', rng)}=${g}`);
    },
  },
  // --- ids in the path
  {
    name: 'id/path-parameter',
    category: 'id',
    // 405: a value with "/" in it can make the path one that other methods serve.
    expect: [404, 405],
    applies: (d) => paramsOf(d.route.path).length > 0,
    apply: (d, rng, w) => {
      const param = rng.pick(paramsOf(d.route.path));
      d.params[param] = badIdFor(idKindOf(d.route.path, param), rng, w);
    },
  },
  // --- methods
  {
    name: 'method/not-served',
    category: 'method',
    expect: [405],
    applies: () => true,
    apply: (d, rng, w) => {
      const served = methodsServing(w.routes, fillPath(d.route.path, d.params));
      d.method = rng.pick([
        'PUT',
        'OPTIONS',
        ...['GET', 'POST', 'PATCH', 'DELETE'].filter((m) => !served.includes(m)),
      ]);
    },
  },
  // --- bodies, any route
  {
    name: 'body/not-json',
    category: 'body-syntax',
    expect: [400],
    applies: () => true,
    apply: (d, rng) => {
      d.doc = undefined;
      d.raw = rng.pick(NOT_JSON);
    },
  },
  {
    name: 'body/truncated',
    category: 'body-syntax',
    expect: [400],
    applies: () => true,
    apply: (d, rng) => {
      const full = bodyPlaceholder(d);
      d.doc = undefined;
      d.raw = full.slice(0, rng.between(1, full.length - 1));
    },
  },
  {
    name: 'body/top-level-primitive',
    category: 'body-syntax',
    expect: [400],
    applies: () => true,
    apply: (d, rng) => {
      d.doc = undefined;
      d.raw = rng.pick(TOP_LEVEL_PRIMITIVES);
    },
  },
  {
    name: 'body/deep-nesting',
    category: 'body-syntax',
    expect: [400],
    applies: () => true,
    apply: (d, rng) => {
      const n = rng.chance(0.1) ? rng.between(10_000, 100_000) : rng.between(33, 2000);
      d.doc = undefined;
      d.raw = rng.chance(0.5) ? deepArray(n) : deepObject(n);
    },
  },
  {
    name: 'body/invalid-utf8',
    category: 'body-syntax',
    expect: [400],
    applies: () => true,
    apply: (d, rng) => {
      d.doc = undefined;
      d.raw = Buffer.concat([
        Buffer.from('{"data":'),
        Buffer.from(rng.pick([[0xff, 0xfe], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0x80]])),
        Buffer.from('}'),
      ]);
    },
  },
  {
    name: 'body/too-large',
    category: 'body-syntax',
    expect: [413],
    // Rare: a megabyte per request.
    applies: () => true,
    apply: (d, rng) => {
      d.doc = undefined;
      d.raw = `{"data":{"type":"x","attributes":{"name":"${'a'.repeat(1024 * 1024 + rng.int(4096))}"}}}`;
    },
  },
  // --- bodies, routes that take one
  {
    name: 'body/not-a-document',
    category: 'body-schema',
    expect: [400],
    applies: (d) => d.route.body !== undefined,
    apply: (d, rng) => {
      const doc = d.doc ?? {};
      d.doc = undefined;
      // '' is sent with Content-Length: 0: no body at all.
      d.raw = rng.pick(['[]', '[{}]', JSON.stringify([doc]), '', '{}']);
    },
  },
  ...Object.keys(SCHEMA_MUTATIONS).map(
    (mutation): Violation => ({
      name: `body/${mutation}`,
      category: 'body-schema',
      applies: (d) =>
        d.route.body !== undefined && SCHEMAS[d.route.body] !== undefined && d.doc !== undefined,
      apply: (d, rng, w) => {
        const spec = SCHEMAS[d.route.body as string] as SchemaSpec;
        d.doc = (SCHEMA_MUTATIONS[mutation] as (typeof SCHEMA_MUTATIONS)[string])(d.doc, spec, rng, w);
      },
    }),
  ),
];

/** An id that must not address anything the tenant admin may use in this position. */
function badIdFor(kind: IdKind, rng: Rng, w: World): string {
  const own = w.baseline[kind];
  const base = /^[0-9a-f-]{36}$/.test(own) ? own : rng.uuid();
  const hexAt = base.search(/[0-9a-f]/);
  const otherScope: Partial<Record<IdKind, string[]>> = {
    'auth-secret': [w.a.secrets.ws2.id],
    membership: w.a.memberships.ws2,
    'workspace-audit-event': w.a.events.ws2,
    'tenant-audit-event': w.a.events.ws1,
    'api-key': [w.a.admin.apiKeyId, w.a.wsOwner.apiKeyId],
  };
  const otherKinds = (Object.keys(w.baseline) as IdKind[]).filter((k) => k !== kind && k !== 'permission');
  const choices: (() => string)[] = [
    () => base.slice(0, -1),
    () => `${base}a`,
    () => base.replace(/-/g, ''),
    () => encodeComponent(`{${base}}`),
    () => encodeComponent(`urn:uuid:${base}`),
    () => `${base}%00`,
    () => `${base}%20`,
    () => `%20${base}`,
    () => `${base.slice(0, hexAt)}g${base.slice(hexAt + 1)}`,
    () => base.replace('-', '_'),
    () => '00000000-0000-0000-0000-000000000000',
    () => 'ffffffff-ffff-ffff-ffff-ffffffffffff',
    () => rng.uuid(),
    () => rng.pick(w.b.ids(kind).length > 0 ? w.b.ids(kind) : [rng.uuid()]),
    () => w.baseline[rng.pick(otherKinds)],
    () => rng.pick(otherScope[kind] ?? [rng.uuid()]),
    () => rng.pick(TRAVERSALS),
    () => rng.pick(PCT_GARBAGE),
    () => encodeComponent(rng.pick(UNICODE_EDGES)),
    () => encodeComponent(rng.pick(SQLISH)),
    () => 'a'.repeat(rng.between(200, 6000)),
    () => rng.pick(['%20', '%09', '+', '-', '~', 'null', 'undefined', '0', '-1', 'me%20']),
  ];
  return rng.pick(choices)();
}

// ---------------------------------------------------------------------------------------------
// Soft noise: never a violation

function addNoise(d: Draft, rng: Rng): void {
  if (rng.chance(0.4)) {
    setHeader(
      d,
      'X-Request-Id',
      rng.pick<string | string[]>([
        '',
        'a b',
        'x'.repeat(129),
        ['dup-1', 'dup-2'],
        'ok-id.123:abc',
        '<script>alert(1)</script>',
        '../../etc/passwd',
        '\t',
        'caf\u00e9',
        '%00',
        'a,b',
        rng.ascii(rng.between(1, 300)),
      ]),
    );
  }
  if (rng.chance(0.2)) setHeader(d, 'X-Forwarded-For', rng.pick(['1.2.3.4', 'garbage', '::1, 10.0.0.1', '']));
  if (rng.chance(0.1)) setHeader(d, 'X-HTTP-Method-Override', rng.pick(['DELETE', 'GET', 'PATCH']));
  if (rng.chance(0.3)) {
    setHeader(
      d,
      'Accept',
      rng.pick([
        JSONAPI,
        'application/json',
        '*/*',
        `${JSONAPI}; ext="https://jsonapi.org/ext/atomic"`,
        'text/html, application/json;q=0.1',
        'application/*',
      ]),
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Generation

const CATEGORY_WEIGHTS: Record<Category, number> = {
  'body-syntax': 14,
  'body-schema': 30,
  header: 12,
  auth: 10,
  query: 18,
  id: 14,
  method: 4,
};

interface Generated {
  index: number;
  route: RouteDefinition;
  violations: Violation[];
  request: RawRequest;
}

function pickViolation(d: Draft, rng: Rng, w: World, exclude: (Category | string)[] = []): Violation {
  const usable = VIOLATIONS.filter(
    (v) => !exclude.includes(v.category) && !exclude.includes(v.name) && v.applies(d, w),
  );
  const categories = [...new Set(usable.map((v) => v.category))];
  const total = categories.reduce((s, c) => s + CATEGORY_WEIGHTS[c], 0);
  let roll = rng.float() * total;
  let category = categories[0] as Category;
  for (const c of categories) {
    roll -= CATEGORY_WEIGHTS[c];
    if (roll < 0) {
      category = c;
      break;
    }
  }
  const inCategory = usable.filter((v) => v.category === category);
  // Too-large bodies cost a megabyte each: keep them rare.
  const v = rng.pick(inCategory);
  return v.name === 'body/too-large' && !rng.chance(0.15) ? rng.pick(inCategory.filter((x) => x !== v)) : v;
}

function generate(index: number, route: RouteDefinition, w: World): Generated {
  const rng = rngFor(index);
  const params: Record<string, string> = {};
  for (const p of paramsOf(route.path)) params[p] = w.baseline[idKindOf(route.path, p)];
  const d: Draft = { route, method: route.method, params, query: [], headers: {} };
  if (!isPublic(route)) d.headers.Authorization = w.a.admin.auth;
  if (route.body) {
    const fresh = (kind: string) => `fuzz-${kind}-${rng.hex(12)}`;
    d.doc = validBody(route.body, params, w.a, fresh) ?? { data: { type: 'unknown', attributes: {} } };
  }
  addNoise(d, rng);
  const violations = [pickViolation(d, rng, w)];
  (violations[0] as Violation).apply(d, rng, w);
  if (rng.chance(0.25)) {
    const first = violations[0] as Violation;
    // Tenant B's credentials and tenant B's ids together would be a valid request of tenant B.
    const exclude: (Category | string)[] = [first.category, 'method'];
    if (first.name === OTHER_TENANT_CALLER) exclude.push('id');
    if (first.category === 'id') exclude.push(OTHER_TENANT_CALLER);
    const second = pickViolation(d, rng, w, exclude);
    second.apply(d, rng, w);
    violations.push(second);
  }
  const body = d.raw ?? (d.doc !== undefined ? JSON.stringify(d.doc) : undefined);
  if (body !== undefined && !Object.keys(d.headers).some((k) => k.toLowerCase() === 'content-type'))
    d.headers['Content-Type'] = rng.pick([JSONAPI, 'application/json', 'application/json; charset=utf-8']);
  const path = fillPath(route.path, d.params) + (d.query.length > 0 ? `?${d.query.join('&')}` : '');
  if (!/^[\x21-\x7e]+$/.test(path)) throw new Error(`generator bug: unsendable path ${path.slice(0, 200)}`);
  return {
    index,
    route,
    violations,
    request: { method: d.method, path, headers: d.headers, ...(body !== undefined ? { body } : {}) },
  };
}

// ---------------------------------------------------------------------------------------------
// Checks

const STACK_TRACE = /\n\s+at\s|\bat\s+\S+\s+\([^)]*:\d+:\d+\)|node_modules|\.ts:\d+/;

function problemsWith(g: Generated, res: RawResponse): string[] {
  const problems: string[] = [];
  if (res.status >= 500) problems.push(`5xx (${res.status})`);
  else if (res.status < 400) problems.push(`status ${res.status}: the request was accepted`);
  try {
    assertJsonApiResponse(res);
  } catch (err) {
    problems.push(`not a JSON:API document: ${String((err as Error).message).slice(0, 600)}`);
  }
  const errors = (res.body as { errors?: { status?: string }[] } | undefined)?.errors;
  if (!Array.isArray(errors) || errors.length === 0) problems.push('no errors array');
  else if (errors[0]?.status !== String(res.status))
    problems.push(`errors[0].status ${JSON.stringify(errors[0]?.status)} ≠ ${res.status}`);
  if (!res.headers['x-request-id']) problems.push('no X-Request-Id');
  if (res.status === 405 && !res.headers.allow) problems.push('405 without Allow');
  if (res.status === 401 && !res.headers['www-authenticate']) problems.push('401 without WWW-Authenticate');
  if (STACK_TRACE.test(res.text)) problems.push('stack trace or source path in the body');
  const only = g.violations.length === 1 ? g.violations[0] : undefined;
  if (only?.expect && !only.expect.includes(res.status))
    problems.push(`expected ${only.expect.join('/')} for ${only.name} alone, got ${res.status}`);
  return problems;
}

function describeRequest(g: Generated): string {
  const r = g.request;
  const body = r.body === undefined ? '' : String(r.body).slice(0, 300);
  const headers = JSON.stringify(r.headers).slice(0, 400);
  return `#${g.index} [${g.violations.map((v) => v.name).join(' + ')}] ${r.method} ${r.path.slice(0, 300)}\n      headers ${headers}\n      body ${JSON.stringify(body)}`;
}

async function pool<T>(items: T[], size: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: size }, async () => {
      while (next < items.length) await work(items[next++] as T);
    }),
  );
}

// ---------------------------------------------------------------------------------------------

describe('security: fuzzing every route with malformed requests (issue 5)', function () {
  this.timeout(120_000);
  let app: ListeningTestApp;
  let world: World;
  let before_: DbFingerprint;

  before(async () => {
    app = await createTestApp(NO_RATE_LIMITS, { listen: true });
    const a = await createTenantFixture(app);
    const b = await createTenantFixture(app);
    world = { a, b, routes: app.routes, baseline: baselineIds(a) };
    before_ = await dbFingerprint(app.prisma);
  });

  after(async () => {
    await app?.close();
  });

  it('sends generated malformed requests to every route: only 4xx JSON:API errors', async () => {
    console.log(`      fuzz seed ${SEED} (replay: FUZZ_SEED=${SEED}; one request: FUZZ_ONLY=<index>)`);
    const generated: Generated[] = [];
    app.routes.forEach((route, r) => {
      const n = route.body ? REQUESTS_PER_BODY_ROUTE : REQUESTS_PER_ROUTE;
      for (let k = 0; k < n; k++) {
        // Stable per route position, whatever the counts: route r's requests are r*1000 + k.
        const index = r * 1000 + k;
        if (ONLY === undefined || ONLY === index) generated.push(generate(index, route, world));
      }
    });
    const failures: string[] = [];
    const byCategory = new Map<string, number>();
    const byViolation = new Map<string, number>();
    const byStatus = new Map<number, number>();
    const count = (m: Map<string | number, number>, k: string | number) => m.set(k, (m.get(k) ?? 0) + 1);
    await pool(generated, CONCURRENCY, async (g) => {
      for (const v of g.violations) {
        count(byCategory, v.category);
        count(byViolation, v.name);
      }
      let res: RawResponse;
      try {
        res = await app.send(g.request);
      } catch (err) {
        failures.push(`${describeRequest(g)}\n      → transport error ${String(err)}`);
        return;
      }
      count(byStatus, res.status);
      const problems = problemsWith(g, res);
      if (problems.length > 0)
        failures.push(
          `${describeRequest(g)}\n      → ${problems.join('; ')}\n      response ${res.text.slice(0, 300)}`,
        );
    });
    const sorted = (m: Map<string | number, number>) =>
      [...m.entries()].sort((x, y) => String(x[0]).localeCompare(String(y[0])));
    console.log(`      ${generated.length} requests over ${app.routes.length} routes`);
    console.log(
      `      by category: ${sorted(byCategory)
        .map(([k, n]) => `${k} ${n}`)
        .join(', ')}`,
    );
    console.log(
      `      by violation: ${sorted(byViolation)
        .map(([k, n]) => `${k} ${n}`)
        .join(', ')}`,
    );
    console.log(
      `      by status: ${sorted(byStatus)
        .map(([k, n]) => `${k}×${n}`)
        .join(', ')}`,
    );
    assert.ok(
      failures.length === 0,
      `${failures.length} of ${generated.length} fuzzed requests failed (FUZZ_SEED=${SEED}):\n${failures.slice(0, 15).join('\n')}`,
    );
    if (ONLY === undefined) {
      assert.ok(generated.length >= 1000, `at least 1,000 requests (got ${generated.length})`);
      for (const c of Object.keys(CATEGORY_WEIGHTS))
        assert.ok((byCategory.get(c) ?? 0) > 0, `category ${c} was exercised`);
    }
  });

  it('left the database as it was (audit_events aside: refused writes are audited by design)', async () => {
    const changes = fingerprintChanges(before_, await dbFingerprint(app.prisma));
    assert.deepEqual(changes, [], `the fuzz changed the database (FUZZ_SEED=${SEED}): ${changes.join('; ')}`);
  });
});
