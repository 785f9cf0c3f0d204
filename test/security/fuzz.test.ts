// A fuzz of every route of the service with generated malformed requests. This file runs it; the
// generators live in test/security/fuzz/ by what they fuzz (random.ts: seeded PRNG and value pools;
// draft.ts: the request under construction; request-violations.ts: headers, authentication, query,
// ids, methods; body-violations.ts, body-mutations.ts and the *-schemas.ts descriptions: bodies;
// generate.ts: building a request and checking its response).
//
// Routes come from the table createTestApp() returns (wireApplication builds it), so a new
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
import { baselineIds, createTenantFixture } from '../support/factories.js';
import type { RawResponse } from '../support/raw-http.js';
import { createTestApp, type ListeningTestApp, NO_RATE_LIMITS } from '../support/test-app.js';
import type { World } from './fuzz/draft.js';
import {
  CATEGORY_WEIGHTS,
  describeRequest,
  type Generated,
  generate,
  pool,
  problemsWith,
} from './fuzz/generate.js';
import { ONLY, SEED } from './fuzz/random.js';
import { type DbFingerprint, dbFingerprint, fingerprintChanges } from './route-catalogue.js';

// Routes that take a body get more requests: their documents have the most ways to be wrong.
const REQUESTS_PER_ROUTE = 30;
const REQUESTS_PER_BODY_ROUTE = 80;
const CONCURRENCY = 6;

describe('security: fuzzing every route with malformed requests', function () {
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
