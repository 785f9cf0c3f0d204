// A request under construction: the valid request a case starts from, what a violation is, and
// helpers to edit headers and JSON documents in place.
import type { AnyRoute } from '../../../src/http/route-table.js';
import type { IdKind, TenantFixture } from '../../support/factories.js';
import { paramsOf } from '../route-catalogue.js';
import type { Rng } from './random.js';

// ---------------------------------------------------------------------------------------------
// Requests under construction

// biome-ignore lint/suspicious/noExplicitAny: bodies are mangled JSON; only the responses are checked.
export type Json = any;

export interface World {
  a: TenantFixture;
  b: TenantFixture;
  routes: AnyRoute[];
  baseline: Record<IdKind, string>;
}

export interface Draft {
  route: AnyRoute;
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

export type Category = 'body-syntax' | 'body-schema' | 'header' | 'auth' | 'query' | 'id' | 'method';

export interface Violation {
  name: string;
  category: Category;
  /** The status a request gets when this is its only violation (checked then). */
  expect?: readonly number[];
  applies(d: Draft, w: World): boolean;
  apply(d: Draft, rng: Rng, w: World): void;
}

export function setHeader(d: Draft, name: string, value: string | string[] | undefined): void {
  for (const k of Object.keys(d.headers)) if (k.toLowerCase() === name.toLowerCase()) delete d.headers[k];
  if (value !== undefined) d.headers[name] = value;
}

export const isPublic = (r: AnyRoute) => r.access.kind === 'public';
export const scopedParams = (r: AnyRoute) =>
  paramsOf(r.path).filter((p) => ['tenant', 'workspace', 'user'].includes(p));

export function getAt(doc: Json, path: readonly string[]): Json {
  let v = doc;
  for (const k of path) v = v?.[k];
  return v;
}
export function setAt(doc: Json, path: readonly string[], value: unknown): void {
  const parent = getAt(doc, path.slice(0, -1));
  // defineProperty: a member named "__proto__" must become an own member, not the prototype.
  Object.defineProperty(parent, path[path.length - 1] as string, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}
export function deleteAt(doc: Json, path: readonly string[]): void {
  delete getAt(doc, path.slice(0, -1))[path[path.length - 1] as string];
}

/** The draft's body as text, or a small valid-looking document when it has none. */
export function bodyPlaceholder(d: Draft): string {
  return d.doc !== undefined ? JSON.stringify(d.doc) : '{"data":{"type":"x","attributes":{}}}';
}
