// Suite-wide secret scan (a root-level hook: it runs once, after every test file; a root-level `it`
// would run first). Every secret the suite makes comes from test/support/secrets.ts, so:
// - no secret-shaped string (SECRET_PATTERNS: every secret marker, the test OAuth2 server's tokens,
//   API keys) appears in any audit event, webhook payload or delivery record of the test database,
//   or in any log line the apps wrote; no webhook signing secret (whsec_…) in any of them either;
// - no client_secret sent through the API helpers appears in any log line or recorded response.
// Each part asserts that it had something to scan, so a run that scanned nothing fails.
import assert from 'node:assert/strict';
import { after, describe, it } from 'mocha';
import pg from 'pg';
import {
  findSecrets,
  leaksOf,
  MARKER_HEX_DIGITS,
  marker,
  SECRET_KINDS,
  secretMarker,
  seenResponses,
  usedClientSecrets,
} from '../support/secrets.js';
import { capturedLogs } from '../support/test-app.js';
import { testDatabaseUrl } from '../support/test-database.js';

describe('secret scan: the patterns', () => {
  it('recognise a marker of every secret kind, alone and inside other text', () => {
    for (const kind of SECRET_KINDS) {
      const secret = secretMarker(kind);
      assert.equal(secret.length, kind.length + 1 + MARKER_HEX_DIGITS, kind);
      assert.deepEqual(findSecrets(`{"v":"${secret}","q":"x=${secret}&y"}`), [secret, secret], kind);
    }
  });

  it('leave plain markers (names, request ids) alone', () => {
    assert.deepEqual(findSecrets(`${marker('client')} ${marker('secret')} ${marker('req')}`), []);
  });
});

/** Webhook signing secrets (Standard Webhooks format): shown once in a response, stored only sealed. */
const SIGNING_SECRET = /whsec_[A-Za-z0-9+/=]{8,}/g;

after(
  'no secret in any audit event, webhook payload or delivery, log line or recorded response',
  async () => {
    const client = new pg.Client({ connectionString: testDatabaseUrl() });
    await client.connect();
    try {
      const { rows } = await client.query('SELECT row_to_json(a)::text AS row FROM audit_events a');
      assert.ok(rows.length > 0, 'the suite wrote audit events');
      const inEvents = rows.flatMap((r: { row: string }) => findSecrets(r.row));
      assert.deepEqual(inEvents, [], 'secrets found in audit events');
      assert.deepEqual(
        rows.flatMap((r: { row: string }) => r.row.match(SIGNING_SECRET) ?? []),
        [],
        'signing secrets in audit events',
      );
      // Every webhook payload and every delivery record (its last_error among them).
      const { rows: webhookRows } = await client.query(
        `SELECT row_to_json(e)::text AS row FROM webhook_events e
       UNION ALL SELECT row_to_json(d)::text FROM webhook_deliveries d`,
      );
      assert.ok(webhookRows.length > 0, 'the suite recorded webhook events and deliveries');
      const inWebhooks = webhookRows.flatMap((r: { row: string }) => [
        ...findSecrets(r.row),
        ...(r.row.match(SIGNING_SECRET) ?? []),
      ]);
      assert.deepEqual(inWebhooks, [], 'secrets found in webhook payloads or delivery records');
    } finally {
      await client.end();
    }
    assert.ok(capturedLogs.length > 0, 'the suite captured log lines');
    assert.deepEqual(capturedLogs.flatMap(findSecrets), [], 'secrets found in log lines');
    assert.deepEqual(
      capturedLogs.flatMap((l) => l.match(SIGNING_SECRET) ?? []),
      [],
      'signing secrets found in log lines',
    );

    assert.ok(usedClientSecrets.size > 0, 'the suite sent client secrets through the API helpers');
    assert.ok(seenResponses.length > 0, 'the suite recorded responses');
    assert.deepEqual(
      leaksOf(usedClientSecrets, [...capturedLogs, ...seenResponses]),
      [],
      'client secrets found in log lines or recorded responses',
    );
  },
);
