// API.md §7: database waits are bounded below REQUEST_TIMEOUT_MS, by default and when configured.
import assert from 'node:assert/strict';
import { ConfigError, databaseTimeoutsFor, loadConfig } from '../../src/config/config.js';

describe('configuration: database timeouts below REQUEST_TIMEOUT_MS', () => {
  it('derives the defaults from REQUEST_TIMEOUT_MS', () => {
    assert.deepEqual(loadConfig({}).databaseTimeouts, {
      connectMs: 7500,
      statementMs: 10000,
      lockMs: 5000,
      queryMs: 11000,
      transactionMs: 5000,
      idleInTransactionMs: 30000,
    });
    const small = loadConfig({ REQUEST_TIMEOUT_MS: '3000' }).databaseTimeouts;
    assert.deepEqual(small, {
      connectMs: 750,
      statementMs: 1000,
      lockMs: 500,
      queryMs: 1300,
      transactionMs: 2250,
      idleInTransactionMs: 3000,
    });
  });

  for (const requestTimeoutMs of [100, 1000, 3000, 30000, 600000]) {
    it(`a failing request's database time stays below REQUEST_TIMEOUT_MS=${requestTimeoutMs}`, () => {
      const t = databaseTimeoutsFor(requestTimeoutMs);
      assert.ok(!(t instanceof Error));
      assert.ok(t.connectMs + t.queryMs < requestTimeoutMs);
      assert.ok(t.lockMs <= t.statementMs && t.statementMs < t.queryMs);
      assert.ok(t.transactionMs <= requestTimeoutMs - t.connectMs);
    });
  }

  it('takes configured values', () => {
    const t = loadConfig({
      REQUEST_TIMEOUT_MS: '20000',
      DATABASE_CONNECT_TIMEOUT_MS: '2000',
      DATABASE_STATEMENT_TIMEOUT_MS: '15000',
      DATABASE_LOCK_TIMEOUT_MS: '1000',
    }).databaseTimeouts;
    assert.equal(t.connectMs, 2000);
    assert.equal(t.statementMs, 15000);
    assert.equal(t.lockMs, 1000);
    assert.equal(t.queryMs, 16000);
  });

  it('refuses bounds that would let a request outlive REQUEST_TIMEOUT_MS', () => {
    assert.throws(
      () => loadConfig({ REQUEST_TIMEOUT_MS: '5000', DATABASE_STATEMENT_TIMEOUT_MS: '5000' }),
      (err: unknown) =>
        err instanceof ConfigError &&
        /DATABASE_CONNECT_TIMEOUT_MS \(1250\) \+ DATABASE_STATEMENT_TIMEOUT_MS \(5000\) must stay at least 500 ms below REQUEST_TIMEOUT_MS \(5000\)/.test(
          err.message,
        ),
    );
    assert.throws(
      () => loadConfig({ DATABASE_STATEMENT_TIMEOUT_MS: '1000', DATABASE_LOCK_TIMEOUT_MS: '2000' }),
      /DATABASE_LOCK_TIMEOUT_MS \(2000\) must not exceed DATABASE_STATEMENT_TIMEOUT_MS \(1000\)/,
    );
    assert.throws(() => loadConfig({ DATABASE_CONNECT_TIMEOUT_MS: '0' }), ConfigError);
  });
});
