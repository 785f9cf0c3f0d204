// Violations of everything but the body: headers, authentication, query strings, path ids, methods.
import type { IdKind } from '../../support/factories.js';
import { fillPath, idKindOf, methodsServing, paramsOf } from '../route-catalogue.js';
import { bodyPlaceholder, isPublic, scopedParams, setHeader, type Violation, type World } from './draft.js';
import {
  encodeComponent,
  encodeKey,
  PCT_GARBAGE,
  type Rng,
  randomJson,
  SQLISH,
  TRAVERSALS,
  UNICODE_EDGES,
} from './random.js';

// ---------------------------------------------------------------------------------------------
// Violations

export const BAD_ACCEPT = [
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
export const BAD_CONTENT_TYPE: (string | string[])[] = [
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
export const OTHER_TENANT_CALLER = 'auth/other-tenant-caller';

export const REQUEST_VIOLATIONS: Violation[] = [
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
    // filter[tags.KEY]=VALUE (API.md §8.2) on the routes that take keyed filters.
    name: 'query/keyed-filter',
    category: 'query',
    expect: [400],
    applies: (d) => Object.keys(d.route.query?.keyedFilters ?? {}).length > 0,
    apply: (d, rng) => {
      const prefix = rng.pick(Object.keys(d.route.query?.keyedFilters ?? {}));
      const param = (key: string, value: string) =>
        `${encodeKey(`filter[${prefix}.`, rng)}${encodeComponent(key)}${encodeKey(']', rng)}=${value}`;
      switch (rng.int(4)) {
        case 0: {
          const key = rng.pick([
            '',
            'bad key',
            'a/b',
            'ü',
            'x'.repeat(65),
            'k=v',
            '😀',
            'a\u0000b',
            '\uD800',
          ]);
          d.query.push(param(key, 'v'));
          break;
        }
        case 1: // more than the 10 accepted
          for (let i = 0, n = rng.between(11, 20); i < n; i++) d.query.push(param(`k${i}`, 'v'));
          break;
        case 2:
          d.query.push(
            param(
              'env',
              rng.chance(0.5) ? 'v'.repeat(rng.between(257, 1000)) : encodeComponent('😀'.repeat(257)),
            ),
          );
          break;
        default:
          d.query.push(param('env', rng.pick(['%00', 'a%00b'])));
      }
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
];

/** An id that must not address anything the tenant admin may use in this position. */
export function badIdFor(kind: IdKind, rng: Rng, w: World): string {
  const own = w.baseline[kind];
  const base = /^[0-9a-f-]{36}$/.test(own) ? own : rng.uuid();
  const hexAt = base.search(/[0-9a-f]/);
  const otherScope: Partial<Record<IdKind, string[]>> = {
    'auth-secret': [w.a.secrets.ws2.id, w.a.trashed.ws1.id],
    'deleted-secret': [w.a.trashed.ws2.id, w.a.secrets.ws1Oauth2.id],
    membership: w.a.memberships.ws2,
    'workspace-audit-event': w.a.events.ws2,
    'tenant-audit-event': w.a.events.ws1,
    'api-key': [w.a.admin.apiKeyId, w.a.wsOwner.apiKeyId],
    'connect-session': [w.a.connectSessions.ws2.id],
  };
  // Permission and credential-schema ids are names, not UUIDs: no other position could take them.
  const otherKinds = (Object.keys(w.baseline) as IdKind[]).filter(
    (k) => k !== kind && k !== 'permission' && k !== 'credential-schema',
  );
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
