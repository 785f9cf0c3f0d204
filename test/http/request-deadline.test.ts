// API.md §7: no request outlives REQUEST_TIMEOUT_MS. A handler still running at the deadline gets
// a 504 request_timeout JSON:API error; whatever it does later (answer, fail) writes nothing more
// and crashes nothing. Database failures reaching the error handler are 503 database_unavailable.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import request from 'supertest';
import { buildApp } from '../../src/app.js';
import { DatabaseFailureLog } from '../../src/db/database-failures.js';
import {
  type AnyRoute,
  access,
  route as declare,
  type PublicAccess,
  type RouteDefinition,
} from '../../src/http/route-table.js';
import { createLogger } from '../../src/observability/logger.js';
import { assertJsonApiResponse } from '../support/jsonapi-schema.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const TIMEOUT_MS = 300;

describe('request deadline and database failures (API.md §7)', () => {
  const lines: Record<string, unknown>[] = [];
  const late: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      for (const l of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(l));
      cb();
    },
  });
  const logger = createLogger('info', sink);
  const route = (path: string, handler: RouteDefinition<PublicAccess>['handler']): AnyRoute =>
    declare({ method: 'GET', path, access: access.public, handler });
  const routes: AnyRoute[] = [
    route('/slow-then-answers', async () => {
      await sleep(TIMEOUT_MS + 200);
      late.push('answered');
      return { status: 200, document: { meta: { late: true } }, headers: { 'X-Late': 'yes' } };
    }),
    route('/slow-then-fails', async () => {
      await sleep(TIMEOUT_MS + 200);
      late.push('failed');
      throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), {
        code: 'ECONNREFUSED',
        syscall: 'connect',
        errno: -111,
      });
    }),
    route('/fast', async () => ({ status: 200, document: { meta: { ok: true } } })),
    route('/database-down', async () => {
      throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    }),
    route('/bug', async () => {
      throw new TypeError('a genuine bug');
    }),
  ];
  const app = buildApp({
    logger,
    routes,
    bodyLimitBytes: 1024,
    requestTimeoutMs: TIMEOUT_MS,
    databaseFailures: new DatabaseFailureLog(logger),
    publicUrl: undefined,
    authenticate: undefined as never,
    policy: undefined as never,
    schemas: { has: () => true } as never,
  });

  it('a handler still running at REQUEST_TIMEOUT_MS → 504 request_timeout, in time; its late answer writes nothing', async () => {
    const started = performance.now();
    const res = await request(app).get('/slow-then-answers');
    const ms = performance.now() - started;
    assertJsonApiResponse(res);
    assert.equal(res.status, 504);
    assert.equal(res.body.errors[0].code, 'request_timeout');
    assert.equal(res.headers['x-late'], undefined);
    assert.ok(ms >= TIMEOUT_MS - 5 && ms < TIMEOUT_MS + 150, `answered after ${Math.round(ms)} ms`);
    await sleep(300);
    assert.deepEqual(late, ['answered'], 'the handler finished later without crashing anything');
  });

  it('a handler failing after the deadline writes nothing either', async () => {
    const res = await request(app).get('/slow-then-fails');
    assert.equal(res.status, 504);
    await sleep(300);
    assert.ok(late.includes('failed'));
    const fast = await request(app).get('/fast');
    assert.equal(fast.status, 200);
    const requestLines = lines.filter(
      (l) => (l.req as { url?: string } | undefined)?.url === '/slow-then-fails',
    );
    assert.equal(requestLines.length, 1, 'one request line');
    assert.equal((requestLines[0]?.res as { statusCode?: number } | undefined)?.statusCode, 504);
  });

  it('fast requests are untouched by the deadline', async () => {
    const res = await request(app).get('/fast');
    assert.equal(res.status, 200);
    await sleep(TIMEOUT_MS + 50);
  });

  it('a database failure → 503 database_unavailable with Retry-After, one log line for many', async () => {
    const before = lines.filter((l) => (l.level as number) >= 40).length;
    const answers = await Promise.all(Array.from({ length: 20 }, () => request(app).get('/database-down')));
    for (const res of answers) {
      assertJsonApiResponse(res);
      assert.equal(res.status, 503);
      assert.equal(res.body.errors[0].code, 'database_unavailable');
      assert.equal(res.headers['retry-after'], '5');
      assert.doesNotMatch(res.text, /ECONNREFUSED|5432/, 'nothing of the driver error reaches the client');
    }
    // The failure after the deadline above was the first of this outage: logged then, not again.
    const problems = lines.filter((l) => (l.level as number) >= 40);
    assert.equal(problems.length - before, 0, JSON.stringify(problems));
    assert.deepEqual(
      problems.map((l) => l.msg),
      ['database unavailable (unreachable)'],
    );
  });

  it('a genuine bug is still a 500', async () => {
    const res = await request(app).get('/bug');
    assert.equal(res.status, 500);
    assert.equal(res.body.errors[0].code, 'internal_error');
  });
});
