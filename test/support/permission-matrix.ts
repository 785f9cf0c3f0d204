// The shape every permission matrix shares: one row per route of the route table (more when a route
// has variants, e.g. "self" and "another user"), naming the route exactly as the table spells it
// and the status each caller gets. routesWithoutRow() lets a suite prove that every route in the
// table has a row, so a new route without one fails the suite instead of going unchecked.
import type { AnyRoute } from '../../src/http/route-table.js';

/** A route of the table: `METHOD /path/:param`, exactly as the route table spells it. */
export type RouteKey = `${'GET' | 'POST' | 'PATCH' | 'DELETE'} /${string}`;

export const routeKey = (r: Pick<AnyRoute, 'method' | 'path'>): RouteKey =>
  `${r.method} ${r.path}` as RouteKey;

/** One row of a permission matrix: a route, how to call it, and the status each caller gets. */
export interface MatrixRow<Caller extends string, Context, Request> {
  route: RouteKey;
  /** Which variant of the route this row calls, when the route has several rows. */
  variant?: string;
  expected: Record<Caller, number>;
  prepare(c: Context): Promise<Request> | Request;
}

/** `GET /v2/users/:user (another user)`: the row's route and variant, for test titles. */
export const rowTitle = (row: { route: RouteKey; variant?: string }) =>
  row.variant ? `${row.route} (${row.variant})` : row.route;

/** Routes of the table that no row names, and row routes the table does not have. */
export function matrixGaps(
  routes: readonly Pick<AnyRoute, 'method' | 'path'>[],
  rows: readonly { route: RouteKey }[],
): { withoutRow: RouteKey[]; unknown: RouteKey[] } {
  const inTable = new Set(routes.map(routeKey));
  const inRows = new Set(rows.map((r) => r.route));
  return {
    withoutRow: [...inTable].filter((k) => !inRows.has(k)),
    unknown: [...inRows].filter((k) => !inTable.has(k)),
  };
}
