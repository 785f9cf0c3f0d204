// Shared by the fuzz and cross-tenant suites (issue 5): the real application together with the route
// table wireApplication() built it from (createTestApp() does not expose it), so both suites walk
// every route there is and a new route is covered without editing them; what each path parameter
// names; a raw HTTP client (exact bytes: no URL normalisation, duplicate headers); a fingerprint of
// the database to prove that nothing changed; and a valid request body per body schema.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { match } from 'path-to-regexp';
import { wireApplication } from '../../src/composition-root.js';
import { loadConfig } from '../../src/config/config.js';
import { generateKeySpec, parseKeyRing } from '../../src/crypto/key-ring.js';
import { createPrismaClient } from '../../src/db/prisma-client.js';
import type { PrismaClient } from '../../src/generated/prisma/client.js';
import type { RouteDefinition } from '../../src/http/route-table.js';
import { ensureBuiltInRoles } from '../../src/modules/roles/built-in-roles.js';
import { createLogger } from '../../src/observability/logger.js';
import type { HttpResponseLike } from '../support/jsonapi-schema.js';
import { capturedLogs } from '../support/test-app.js';
import { testDatabaseIsEmbedded, testDatabaseUrl, testPoolMax } from '../support/test-database.js';

export interface SecurityApp {
  routes: RouteDefinition[];
  prisma: PrismaClient;
  /** Sends one request to the app, listening on a loopback port. */
  send(r: RawRequest): Promise<RawResponse>;
  close(): Promise<void>;
}

/**
 * The application as test-app.ts builds it, listening on a loopback port (one server, keep-alive
 * connections), with its route table. Rate limits are off: the fuzz sends hundreds of bad
 * credentials from one address, and the failed-authentication block (429 for every request after 50)
 * would otherwise stop the tenant admin's requests before they reach validation.
 */
export async function createSecurityApp(env: Record<string, string> = {}): Promise<SecurityApp> {
  const config = loadConfig({
    OAUTH_ALLOW_LOOPBACK_HTTP: 'true',
    LOG_LEVEL: 'info',
    RATE_LIMIT_PER_IP_PER_MINUTE: '0',
    RATE_LIMIT_PER_KEY_PER_MINUTE: '0',
    AUTH_FAILURE_LIMIT_PER_IP_PER_MINUTE: '0',
    ...env,
  });
  const prisma = createPrismaClient({
    url: testDatabaseUrl(),
    poolMax: testPoolMax(),
    embedded: testDatabaseIsEmbedded(),
  });
  await ensureBuiltInRoles(prisma);
  const sink = new Writable({
    write(chunk, _enc, cb) {
      capturedLogs.push(String(chunk));
      cb();
    },
  });
  const { app, routes } = wireApplication({
    prisma,
    config,
    logger: createLogger(config.logLevel, sink),
    keyRing: parseKeyRing(generateKeySpec('test')),
  });
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  return {
    routes,
    prisma,
    send: (r) => sendRaw(port, agent, r),
    close: async () => {
      agent.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await prisma.$disconnect();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Raw HTTP

export interface RawRequest {
  method: string;
  /** Sent byte for byte (printable ASCII): no normalisation of dot segments or escapes. */
  path: string;
  /** An array value sends the header once per element. */
  headers?: Record<string, string | string[]>;
  body?: string | Buffer;
}

export interface RawResponse extends HttpResponseLike {
  headers: Record<string, string | undefined>;
  text: string;
}

function sendRaw(port: number, agent: http.Agent, r: RawRequest): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = http.request({ host: '127.0.0.1', port, method: r.method, path: r.path, agent });
    for (const [name, value] of Object.entries(r.headers ?? {})) req.setHeader(name, value);
    req.on('response', (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const headers: Record<string, string | undefined> = {};
        for (const [k, v] of Object.entries(res.headers)) headers[k] = Array.isArray(v) ? v.join(', ') : v;
        let body: unknown;
        try {
          body = text === '' ? undefined : (JSON.parse(text) as unknown);
        } catch {
          body = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers, text, body });
      });
    });
    // A server that answers early (413) may close while a large body is still being written.
    req.on('error', (err) => {
      if (!answered) reject(err);
    });
    if (r.body !== undefined) {
      if (!req.hasHeader('content-length')) req.setHeader('Content-Length', Buffer.byteLength(r.body));
      req.end(r.body);
    } else req.end();
  });
}

// ---------------------------------------------------------------------------------------------
// What path parameters name

export type IdKind =
  | 'tenant'
  | 'workspace'
  | 'user'
  | 'auth-secret'
  | 'auth-client'
  | 'role'
  | 'membership'
  | 'api-key'
  | 'workspace-audit-event'
  | 'tenant-audit-event'
  | 'permission';

/** `:tenant` → ['tenant'], … in the order they appear in the path. */
export function paramsOf(path: string): string[] {
  return [...path.matchAll(/:([A-Za-z_]+)/g)].map((m) => m[1] as string);
}

const ID_KIND_BY_COLLECTION: Record<string, IdKind> = {
  secrets: 'auth-secret',
  'auth-clients': 'auth-client',
  roles: 'role',
  memberships: 'membership',
  'api-keys': 'api-key',
  permissions: 'permission',
};

/** The kind of id a path parameter takes; a parameter nobody has classified fails loudly. */
export function idKindOf(path: string, param: string): IdKind {
  if (param === 'tenant' || param === 'workspace' || param === 'user') return param;
  const segments = path.split('/');
  const at = segments.indexOf(`:${param}`);
  const collection = segments[at - 1] ?? '';
  if (collection === 'audit-events')
    return segments[2] === 'workspaces' ? 'workspace-audit-event' : 'tenant-audit-event';
  const kind = ID_KIND_BY_COLLECTION[collection];
  if (!kind)
    throw new Error(`route-catalogue: no id kind for :${param} in ${path}; add the collection to the map`);
  return kind;
}

/** The route path with its parameters replaced (values are inserted as given: encode them first). */
export function fillPath(path: string, values: Record<string, string>): string {
  return path.replace(/:([A-Za-z_]+)/g, (_, name: string) => {
    const v = values[name];
    if (v === undefined) throw new Error(`fillPath: no value for :${name} in ${path}`);
    return v;
  });
}

/** Methods the routes serve for a concrete path (what a 405's Allow lists, HEAD aside). */
export function methodsServing(routes: RouteDefinition[], concretePath: string): string[] {
  return [
    ...new Set(routes.filter((r) => match(r.path, { decode: false })(concretePath)).map((r) => r.method)),
  ];
}

// ---------------------------------------------------------------------------------------------
// Database fingerprint

export interface DbFingerprint {
  counts: Record<string, number>;
  checksums: Record<string, string>;
}

/** Tables whose every column is checksummed (md5 of every row as text, in id order). */
export const CHECKSUMMED_TABLES = [
  'tenants',
  'users',
  'api_keys',
  'workspaces',
  'roles',
  'memberships',
  'auth_clients',
  'auth_secrets',
];

/**
 * Row counts of every table but audit_events, and checksums of CHECKSUMMED_TABLES. audit_events is
 * left out on purpose: refused writes are audited by design (outcome `failure`, API.md §5 and
 * docs/API-DECISIONS.md), and credential reads leave `auth_secret.read` events.
 */
export async function dbFingerprint(prisma: PrismaClient): Promise<DbFingerprint> {
  const tables = await prisma.$queryRaw<{ name: string }[]>`
    SELECT table_name::text AS name FROM information_schema.tables
    WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' AND table_name <> 'audit_events'
    ORDER BY table_name`;
  const counts: Record<string, number> = {};
  for (const { name } of tables) {
    const [row] = await prisma.$queryRawUnsafe<{ n: number }[]>(`SELECT count(*)::int AS n FROM "${name}"`);
    counts[name] = row?.n ?? -1;
  }
  const checksums: Record<string, string> = {};
  for (const name of CHECKSUMMED_TABLES) {
    const [row] = await prisma.$queryRawUnsafe<{ sum: string }[]>(
      `SELECT md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t.id), '')) AS sum FROM "${name}" t`,
    );
    checksums[name] = row?.sum ?? '';
  }
  return { counts, checksums };
}

/** Human-readable differences between two fingerprints ([] when equal). */
export function fingerprintChanges(before: DbFingerprint, after: DbFingerprint): string[] {
  const changes: string[] = [];
  for (const [table, n] of Object.entries(after.counts)) {
    if (before.counts[table] !== n) changes.push(`${table}: ${before.counts[table]} rows → ${n}`);
  }
  for (const [table, sum] of Object.entries(after.checksums)) {
    if (before.checksums[table] !== sum) changes.push(`${table}: contents changed (checksum)`);
  }
  return changes;
}
