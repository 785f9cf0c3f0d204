import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from '../../src/config/config.js';
import { runToEnd } from '../support/processes.js';

describe('configuration', () => {
  it('applies documented defaults', () => {
    const c = loadConfig({});
    assert.equal(c.port, 3000);
    assert.equal(c.refreshAheadSeconds, 300);
    assert.equal(c.oauthAllowLoopbackHttp, false);
    assert.equal(c.bodyLimitBytes, 1048576);
    assert.equal(c.databaseUrl, undefined);
    assert.ok(c.dataDir.endsWith('/data'), 'DATA_DIR defaults to ./data');
  });

  it('coerces environment strings and treats empty values as unset', () => {
    const c = loadConfig({
      PORT: '8080',
      OAUTH_ALLOW_LOOPBACK_HTTP: 'true',
      REDIS_URL: '',
      PUBLIC_URL: 'https://x.test/',
    });
    assert.equal(c.port, 8080);
    assert.equal(c.oauthAllowLoopbackHttp, true);
    assert.equal(c.redisUrl, undefined);
    assert.equal(c.publicUrl, 'https://x.test');
  });

  it('lists every problem at once without echoing values', () => {
    const secretish = 'postgres-but-not://user:hunter2@host';
    assert.throws(
      () =>
        loadConfig({
          PORT: 'eighty',
          DATABASE_URL: secretish,
          REFRESH_AHEAD_SECONDS: '-1',
          LOG_LEVEL: 'loud',
        }),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError, 'a ConfigError');
        assert.equal(err.problems.length, 4, err.message);
        for (const name of ['PORT', 'DATABASE_URL', 'REFRESH_AHEAD_SECONDS', 'LOG_LEVEL']) {
          assert.ok(
            err.problems.some((p) => p.startsWith(name)),
            `${name} reported`,
          );
        }
        assert.ok(!err.message.includes('hunter2'), 'no value echoed');
        return true;
      },
    );
  });

  it('stops the server process with exit 1 and the list of problems', async function () {
    this.timeout(30_000);
    const r = await runToEnd('src/server.ts', [], { PORT: 'x', OAUTH_ALLOW_LOOPBACK_HTTP: 'maybe' });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /PORT must be integer/);
    assert.match(r.stderr, /OAUTH_ALLOW_LOOPBACK_HTTP must be boolean/);
  });

  it('refuses to start with DATABASE_URL but no ENCRYPTION_KEYS', async function () {
    this.timeout(30_000);
    const r = await runToEnd('src/server.ts', [], { DATABASE_URL: 'postgresql://127.0.0.1:1/none' });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /ENCRYPTION_KEYS is required when DATABASE_URL is set/);
  });
});
