// What the fuzz and cross-tenant suites know about the route table (createTestApp() returns it, as
// wireApplication() built it), so both walk every route there is and a new route is covered without
// editing them: what each path parameter names, the methods a path serves, and a fingerprint of the
// database to prove that nothing changed.
import { match } from 'path-to-regexp';
import type { PrismaClient } from '../../src/generated/prisma/client.js';
import type { AnyRoute } from '../../src/http/route-table.js';
import type { IdKind } from '../support/factories.js';

// ---------------------------------------------------------------------------------------------
// What path parameters name

export type { IdKind };

/** `:tenant` → ['tenant'], … in the order they appear in the path. */
export function paramsOf(path: string): string[] {
  return [...path.matchAll(/:([A-Za-z_]+)/g)].map((m) => m[1] as string);
}

const ID_KIND_BY_COLLECTION: Record<string, IdKind> = {
  secrets: 'auth-secret',
  'deleted-secrets': 'deleted-secret',
  versions: 'version-number',
  'auth-clients': 'auth-client',
  roles: 'role',
  memberships: 'membership',
  'api-keys': 'api-key',
  permissions: 'permission',
  'connect-sessions': 'connect-session',
  'credential-schemas': 'credential-schema',
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
export function methodsServing(routes: AnyRoute[], concretePath: string): string[] {
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
