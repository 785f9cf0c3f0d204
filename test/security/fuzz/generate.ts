// Turning a route into a request with at least one hard violation (and soft noise on top), and
// checking the response to it.
import type { AnyRoute } from '../../../src/http/route-table.js';
import { validBody } from '../../support/factories.js';
import { assertJsonApiResponse } from '../../support/jsonapi-schema.js';
import type { RawRequest, RawResponse } from '../../support/raw-http.js';
import { fillPath, idKindOf, paramsOf } from '../route-catalogue.js';
import { BODY_VIOLATIONS } from './body-violations.js';
import { type Category, type Draft, isPublic, setHeader, type Violation, type World } from './draft.js';
import { JSONAPI, type Rng, rngFor } from './random.js';
import { OTHER_TENANT_CALLER, REQUEST_VIOLATIONS } from './request-violations.js';

export const VIOLATIONS: Violation[] = [...REQUEST_VIOLATIONS, ...BODY_VIOLATIONS];

// ---------------------------------------------------------------------------------------------
// Soft noise: never a violation

export function addNoise(d: Draft, rng: Rng): void {
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

export const CATEGORY_WEIGHTS: Record<Category, number> = {
  'body-syntax': 14,
  'body-schema': 30,
  header: 12,
  auth: 10,
  query: 18,
  id: 14,
  method: 4,
};

export interface Generated {
  index: number;
  route: AnyRoute;
  violations: Violation[];
  request: RawRequest;
}

export function pickViolation(d: Draft, rng: Rng, w: World, exclude: (Category | string)[] = []): Violation {
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

export function generate(index: number, route: AnyRoute, w: World): Generated {
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

export const STACK_TRACE = /\n\s+at\s|\bat\s+\S+\s+\([^)]*:\d+:\d+\)|node_modules|\.ts:\d+/;

/**
 * The OAuth callback answers a browser: a request that passes the common checks (Accept, Content-Type,
 * query limits, method) reaches it, and without a state of a pending session it is the 400 page,
 * never a redirect and never a write.
 */
function callbackPageProblems(res: RawResponse): string[] {
  const problems: string[] = [];
  if (res.status !== 400) problems.push(`callback page with status ${res.status}`);
  if (res.headers.location) problems.push('callback page with a redirect');
  if (!/default-src 'none'/.test(String(res.headers['content-security-policy'])))
    problems.push('callback page without a strict CSP');
  if (!res.headers['x-request-id']) problems.push('no X-Request-Id');
  if (STACK_TRACE.test(res.text)) problems.push('stack trace or source path in the body');
  return problems;
}

export function problemsWith(g: Generated, res: RawResponse): string[] {
  if (g.route.query?.ownParameters && String(res.headers['content-type']).startsWith('text/html'))
    return callbackPageProblems(res);
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

export function describeRequest(g: Generated): string {
  const r = g.request;
  const body = r.body === undefined ? '' : String(r.body).slice(0, 300);
  const headers = JSON.stringify(r.headers).slice(0, 400);
  return `#${g.index} [${g.violations.map((v) => v.name).join(' + ')}] ${r.method} ${r.path.slice(0, 300)}\n      headers ${headers}\n      body ${JSON.stringify(body)}`;
}

export async function pool<T>(items: T[], size: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: size }, async () => {
      while (next < items.length) await work(items[next++] as T);
    }),
  );
}
