import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import {
  BACKOFF_BASE_MS,
  BACKOFF_MAX_MS,
  backoffDelayMs,
  decideFailure,
  MIN_FAILURES_BEFORE_ERROR,
} from '../../src/refresh/refresh-policy.js';

const now = new Date('2026-01-01T00:00:00Z');
const inSeconds = (s: number) => new Date(now.getTime() + s * 1000);

describe('refresh: failure policy', () => {
  it('backs off exponentially with equal jitter, capped', () => {
    assert.equal(
      backoffDelayMs(1, () => 0),
      BACKOFF_BASE_MS / 2,
    );
    assert.equal(
      backoffDelayMs(1, () => 1),
      BACKOFF_BASE_MS,
    );
    assert.equal(
      backoffDelayMs(2, () => 1),
      BACKOFF_BASE_MS * 2,
    );
    assert.equal(
      backoffDelayMs(4, () => 0.5),
      BACKOFF_BASE_MS * 8 * 0.75,
    );
    assert.equal(
      backoffDelayMs(50, () => 1),
      BACKOFF_MAX_MS,
    );
    const samples = new Set(Array.from({ length: 20 }, () => backoffDelayMs(3)));
    assert.ok(samples.size > 1, 'jitter spreads retries');
    for (const s of samples) assert.ok(s >= BACKOFF_BASE_MS * 2 && s <= BACKOFF_BASE_MS * 4);
  });

  it('a rejected grant becomes error at once and is not retried', () => {
    const d = decideFailure({
      kind: 'rejected',
      detail: 'invalid_grant: Token has been revoked',
      previousFailures: 0,
      expiresAt: inSeconds(3000),
      now,
      trigger: 'worker',
    });
    assert.equal(d.failureCount, 1);
    assert.equal(d.nextAttemptAt, null);
    assert.match(d.errorText ?? '', /rejected the refresh token \(invalid_grant: Token has been revoked\)/);
  });

  it('names the auth-client when the provider rejects the client', () => {
    const d = decideFailure({
      kind: 'rejected',
      detail: 'invalid_client',
      previousFailures: 0,
      expiresAt: null,
      now,
      trigger: 'request',
    });
    assert.match(d.errorText ?? '', /rejected the auth-client/);
  });

  it('a transient failure of a still-valid token schedules a retry and keeps the state', () => {
    for (let previous = 0; previous < 10; previous += 1) {
      const d = decideFailure(
        {
          kind: 'timeout',
          detail: 'x',
          previousFailures: previous,
          expiresAt: inSeconds(60),
          now,
          trigger: 'worker',
        },
        () => 0.5,
      );
      assert.equal(d.errorText, undefined);
      assert.equal(d.failureCount, previous + 1);
      assert.ok((d.nextAttemptAt?.getTime() ?? 0) > now.getTime());
    }
  });

  it('an expired token becomes error only after repeated transient failures, and only in the worker', () => {
    const base = { kind: 'provider_error' as const, detail: 'HTTP 503.', expiresAt: inSeconds(-1), now };
    const early = decideFailure({
      ...base,
      previousFailures: MIN_FAILURES_BEFORE_ERROR - 2,
      trigger: 'worker',
    });
    assert.equal(early.errorText, undefined);
    const late = decideFailure({
      ...base,
      previousFailures: MIN_FAILURES_BEFORE_ERROR - 1,
      trigger: 'worker',
    });
    assert.match(late.errorText ?? '', /expired and could not be renewed: 3 consecutive/);
    assert.equal(late.nextAttemptAt, null);
    const onDemand = decideFailure({ ...base, previousFailures: 10, trigger: 'request' });
    assert.equal(onDemand.errorText, undefined);
  });
});
