// The response contract (API.md §12: the description "matches what the service answers"): every
// response any test of the run received from an app built by createTestApp is checked against the
// OpenAPI description, in a root-level hook that runs once, after every test file. A mismatch is
// reported with its route, status and the JSON Pointer of the offending member.
// The cases below prove that the checker notices what it must.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'mocha';
import request from 'supertest';
import { createClient, createSecret, createWorld, type World } from '../support/factories.js';
import { ContractChecker, contractViolations } from '../support/response-contract.js';
import { type RecordedResponse, recordedResponses } from '../support/response-recorder.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

/** The members of recorded documents the cases below spoil. */
type Doc = { data: { attributes: Record<string, unknown> }; errors: { status: unknown }[] };

describe('response contract: the checker', () => {
  let t: TestApp;
  let world: World;
  let checker: ContractChecker;

  before(async () => {
    t = await createTestApp();
    world = await createWorld(t.prisma);
    checker = new ContractChecker(t.routes);
  });

  after(async () => {
    await t?.close();
  });

  /** The last response recorded for a request to `url`. */
  const recorded = (url: string): RecordedResponse => {
    const found = recordedResponses.findLast((r) => r.url === url);
    assert.ok(found, `a response to ${url} was recorded`);
    return found;
  };
  const withBody = (r: RecordedResponse, change: (doc: Doc) => void): RecordedResponse => {
    const doc = JSON.parse(r.body.toString('utf8')) as Doc;
    change(doc);
    return { ...r, body: Buffer.from(JSON.stringify(doc)) };
  };

  it('records every response of a test app with its route, status, media type and body', async () => {
    const url = `/v2/workspaces/${world.workspaceId}`;
    const res = await request(t.app).get(url).set('Authorization', world.actors.admin.auth);
    assert.equal(res.status, 200);
    const r = recorded(url);
    assert.equal(r.route, '/v2/workspaces/:workspace');
    assert.equal(r.status, 200);
    assert.equal(r.contentType, 'application/vnd.api+json');
    assert.deepEqual(JSON.parse(r.body.toString('utf8')), res.body);
    assert.deepEqual(checker.check(r), []);
  });

  it('reports a member of the wrong type with its route, status and pointer', () => {
    const r = withBody(recorded(`/v2/workspaces/${world.workspaceId}`), (doc) => {
      doc.data.attributes.name = 42;
    });
    const problems = checker.check(r);
    assert.equal(problems.length, 1, problems.join('\n'));
    assert.match(
      problems[0] ?? '',
      /^GET \/v2\/workspaces\/:workspace → 200: \/data\/attributes\/name must be string/,
    );
  });

  it('reports an attribute the resource schema does not have', () => {
    const r = withBody(recorded(`/v2/workspaces/${world.workspaceId}`), (doc) => {
      doc.data.attributes.secret_sauce = 'x';
    });
    assert.match(
      checker.check(r).join('\n'),
      /\/data\/attributes must NOT have additional properties \(secret_sauce\)/,
    );
  });

  it('reports a success status the route does not declare, and a wrong media type', () => {
    const r = recorded(`/v2/workspaces/${world.workspaceId}`);
    assert.match(
      checker.check({ ...r, status: 201 }).join('\n'),
      /→ 201: \/ must have required property 'errors'/,
    );
    assert.match(
      checker.check({ ...r, contentType: 'application/json' }).join('\n'),
      /Content-Type "application\/json"/,
    );
    assert.match(checker.check({ ...r, status: 204 }).join('\n'), /→ 204: .*errors/);
  });

  it('reports a header the description requires but the response lacks (ETag, Location)', async () => {
    const { auth } = world.actors.admin;
    const client = await createClient(request(t.app), auth, world.tenantId);
    const secret = await createSecret(request(t.app), auth, world.workspaceId, client.id);
    const url = `/v2/workspaces/${world.workspaceId}/secrets/${secret.id}`;
    const res = await request(t.app).get(url).set('Authorization', auth);
    assert.equal(res.status, 200);
    assert.match(String(res.headers.etag), /^"[A-Za-z0-9_-]+"$/);
    const r = recorded(url);
    assert.ok(r.headerNames.includes('etag'));
    assert.deepEqual(checker.check(r), []);
    assert.deepEqual(checker.check({ ...r, headerNames: r.headerNames.filter((h) => h !== 'etag') }), [
      `GET /v2/workspaces/:workspace/secrets/:id → 200: header ETag is described as required but was not sent`,
    ]);
  });

  it('checks responses outside every route against the error document', async () => {
    const res = await request(t.app).get('/v2/no-such-route');
    assert.equal(res.status, 404);
    const r = recorded('/v2/no-such-route');
    assert.equal(r.route, undefined);
    assert.deepEqual(checker.check(r), []);
    const broken = withBody(r, (doc) => {
      for (const e of doc.errors) e.status = 404;
    });
    assert.match(
      checker.check(broken).join('\n'),
      /GET \/v2\/no-such-route → 404: \/errors\/0\/status must be string/,
    );
    assert.match(checker.check({ ...r, status: 200 }).join('\n'), /a success outside every route/);
  });

  it('finds the same problems through contractViolations, one checker per route table', () => {
    const r = recorded(`/v2/workspaces/${world.workspaceId}`);
    assert.deepEqual(contractViolations([r, r]), []);
    const problems = contractViolations([{ ...r, status: 201 }, r]);
    assert.ok(problems.length > 0);
    for (const p of problems) assert.match(p, /^GET \/v2\/workspaces\/:workspace → 201: /);
  });
});

after('every response the suite received matches the OpenAPI description', () => {
  assert.ok(recordedResponses.length > 0, 'the suite recorded responses');
  const violations = contractViolations(recordedResponses);
  // The same mismatch from many tests is one problem: list each once, with how often it was seen.
  const counted = new Map<string, number>();
  for (const v of violations) counted.set(v, (counted.get(v) ?? 0) + 1);
  const report = [...counted].map(([v, n]) => (n > 1 ? `${v} (×${n})` : v));
  assert.deepEqual(report, [], `${counted.size} kinds of responses do not match the OpenAPI description`);
});
