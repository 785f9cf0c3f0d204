// Suite-wide scan: after every test of the run, no client_secret used by the auth-client and
// auth-secret tests appears in any captured log line or in any response they recorded.
// A root-level hook, so it runs once, after all test files (a root-level `it` would run first).
import assert from 'node:assert/strict';
import { after } from 'mocha';
import { capturedLogs } from '../support/test-app.js';
import { leaksOf, seenResponses, usedClientSecrets } from './helpers.js';

after('scan every log line and recorded response for client secrets', () => {
  if (usedClientSecrets.size === 0) return;
  assert.ok(seenResponses.length > 0);
  assert.deepEqual(leaksOf(usedClientSecrets, [...capturedLogs, ...seenResponses]), []);
});
