import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { ApiError } from '../../src/errors/api-error.js';
import { createSchemaRegistry } from '../../src/http/validation/schema-registry.js';
import {
  CREDENTIAL_LIMITS,
  checkCredentials,
  nestsDeeperThan,
  presentCredentials,
} from '../../src/modules/auth-secrets/credentials.js';

const schemas = createSchemaRegistry();
const now = new Date('2026-01-01T00:00:00.000Z');

function nested(depth: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = i % 2 ? [value] : { a: value };
  return value;
}

function errorsOf(fn: () => unknown) {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ApiError);
    return err.items;
  }
  assert.fail('expected an ApiError');
}

describe('auth-secrets/credentials', () => {
  it('measures depth without recursion, at any depth', () => {
    assert.equal(nestsDeeperThan({}, 1), false);
    assert.equal(nestsDeeperThan(nested(16), 16), false);
    assert.equal(nestsDeeperThan(nested(17), 16), true);
    assert.equal(nestsDeeperThan(nested(1_000_000), 16), true);
    assert.equal(nestsDeeperThan('scalar', 0), false);
  });

  it('normalises oauth2 expires_in (integer or digit string) into expires_at', () => {
    for (const expiresIn of [1000000, '1000000']) {
      const checked = checkCredentials(
        schemas,
        'oauth2',
        { access_token: 'a', refresh_token: 'r', expires_in: expiresIn },
        now,
      );
      assert.deepEqual(checked.stored, { access_token: 'a', refresh_token: 'r' });
      assert.equal(checked.expiresAt?.toISOString(), new Date(now.getTime() + 1_000_000_000).toISOString());
    }
    const zero = checkCredentials(
      schemas,
      'oauth2',
      { access_token: 'a', refresh_token: 'r', expires_in: '0' },
      now,
    );
    assert.equal(zero.expiresAt?.getTime(), now.getTime());
  });

  it('reports every oauth2 problem with its pointer', () => {
    const items = errorsOf(() =>
      checkCredentials(schemas, 'oauth2', { access_token: 5, expires_in: '-3', scope: 'x' }, now),
    );
    assert.deepEqual(items.map((i) => [i.status, i.source?.pointer]).sort(), [
      [422, '/data/attributes/credentials/access_token'],
      [422, '/data/attributes/credentials/expires_in'],
      [422, '/data/attributes/credentials/refresh_token'],
      [422, '/data/attributes/credentials/scope'],
    ]);
    const big = errorsOf(() =>
      checkCredentials(
        schemas,
        'oauth2',
        { access_token: 'a', refresh_token: 'r', expires_in: '9999999999' },
        now,
      ),
    );
    assert.equal(big[0]?.source?.pointer, '/data/attributes/credentials/expires_in');
  });

  it('accepts any bounded object for `other`, and refuses deep or large ones', () => {
    const value = { api_key: 'k', nested: nested(14), list: [1, 'two', null, true] };
    assert.deepEqual(checkCredentials(schemas, 'other', value, now), { stored: value, expiresAt: null });
    assert.equal(
      errorsOf(() => checkCredentials(schemas, 'other', nested(5000), now))[0]?.code,
      'credentials_too_deep',
    );
    const large = { blob: 'x'.repeat(CREDENTIAL_LIMITS.maxBytes) };
    assert.equal(
      errorsOf(() => checkCredentials(schemas, 'other', large, now))[0]?.code,
      'credentials_too_large',
    );
    assert.equal(
      errorsOf(() => checkCredentials(schemas, 'other', [], now))[0]?.source?.pointer,
      '/data/attributes/credentials',
    );
  });

  it('shows oauth2 expires_in as whole seconds left, never negative', () => {
    const stored = { access_token: 'a', refresh_token: 'r' };
    const at = (ms: number) => new Date(now.getTime() + ms);
    assert.equal(presentCredentials('oauth2', stored, at(100_999), now).expires_in, 100);
    assert.equal(presentCredentials('oauth2', stored, at(-5_000), now).expires_in, 0);
    assert.deepEqual(presentCredentials('other', { x: 1 }, null, now), { x: 1 });
  });
});
