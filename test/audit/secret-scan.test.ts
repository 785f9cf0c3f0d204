// Suite-wide scan (a root-level hook: it runs once, after every test file): no secret value used
// anywhere in the suite appears in any audit event of the test database or in any log line the
// in-process apps wrote. The patterns cover every generator of secrets in the suite: tokens and
// client secrets from the auth-secret helpers, the test OAuth2 server's tokens, and API keys.
import assert from 'node:assert/strict';
import { after } from 'mocha';
import pg from 'pg';
import { capturedLogs } from '../support/test-app.js';
import { testDatabaseUrl } from '../support/test-database.js';

const SECRET_PATTERNS = [
  /\b(?:access|refresh|client-secret)-[0-9a-f]{24}\b/g,
  /\b(?:at|rt)_[0-9a-f]{32}\b/g,
  /\bask_[0-9a-f]{32}_[A-Za-z0-9_-]{43}/g,
];

const findSecrets = (text: string) => SECRET_PATTERNS.flatMap((re) => text.match(re) ?? []);

after('no secret in any audit event or captured log line', async () => {
  const client = new pg.Client({ connectionString: testDatabaseUrl() });
  await client.connect();
  try {
    const { rows } = await client.query('SELECT row_to_json(a)::text AS row FROM audit_events a');
    assert.ok(rows.length > 0, 'the suite wrote audit events');
    const inEvents = rows.flatMap((r: { row: string }) => findSecrets(r.row));
    assert.deepEqual(inEvents, [], 'secrets found in audit events');
  } finally {
    await client.end();
  }
  assert.ok(capturedLogs.length > 0, 'the suite captured log lines');
  assert.deepEqual(capturedLogs.flatMap(findSecrets), [], 'secrets found in log lines');
});
