// Which errors mean "the database could not serve this" (503 database_unavailable), in the shapes
// they really arrive in (captured from pg 8.23, pg-pool 3.14, @prisma/adapter-pg 7.10 against
// PostgreSQL 15 stopped, frozen, and with statement/lock timeouts; test/faults/ checks them live),
// and the bounded-rate log of such failures.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { classifyDatabaseError, DatabaseFailureLog } from '../../src/db/database-failures.js';
import { createLogger } from '../../src/observability/logger.js';

const pgError = (code: string, message: string) =>
  Object.assign(new Error(message), { code, severity: 'ERROR', name: 'error' });
const prismaKnown = (code: string, cause: Record<string, unknown>, message = 'Invalid invocation') =>
  Object.assign(new Error(message), {
    name: 'PrismaClientKnownRequestError',
    code,
    meta: { driverAdapterError: { name: 'DriverAdapterError', cause } },
  });
const socketError = (code: string) =>
  Object.assign(new Error(`connect ${code} 127.0.0.1:5432`), { code, errno: -111, syscall: 'connect' });

describe('database failures: classification', () => {
  const cases: [string, unknown, string | undefined][] = [
    ['pg: connection refused', socketError('ECONNREFUSED'), 'unreachable'],
    ['pg: connection reset', socketError('ECONNRESET'), 'unreachable'],
    ['pg: connection terminated', new Error('Connection terminated unexpectedly'), 'unreachable'],
    [
      'pg: admin shutdown 57P01',
      pgError('57P01', 'terminating connection due to administrator command'),
      'unreachable',
    ],
    [
      'pg: crash shutdown 57P02',
      pgError('57P02', 'terminating connection because of crash of another server process'),
      'unreachable',
    ],
    ['pg: cannot connect now 57P03', pgError('57P03', 'the database system is starting up'), 'unreachable'],
    ['pg: too many clients 53300', pgError('53300', 'sorry, too many clients already'), 'overloaded'],
    [
      'pg: statement timeout 57014',
      pgError('57014', 'canceling statement due to statement timeout'),
      'timeout',
    ],
    ['pg: lock timeout 55P03', pgError('55P03', 'canceling statement due to lock timeout'), 'lock_timeout'],
    ['pg: query_timeout (frozen server)', new Error('Query read timeout'), 'timeout'],
    ['pg-pool: checkout timeout', new Error('timeout exceeded when trying to connect'), 'timeout'],
    [
      'pg: connect timeout (frozen server), as Prisma rethrows it',
      Object.assign(new Error('Connection terminated due to connection timeout'), {
        cause: new Error('Connection terminated unexpectedly'),
      }),
      'timeout',
    ],
    [
      'Prisma P1001 (model query, server stopped)',
      prismaKnown('P1001', { kind: 'DatabaseNotReachable', host: '127.0.0.1', port: 5432 }),
      'unreachable',
    ],
    [
      'Prisma P2010 (raw query, server stopped)',
      prismaKnown('P2010', { kind: 'DatabaseNotReachable', host: '127.0.0.1', port: 5432 }),
      'unreachable',
    ],
    [
      'Prisma P2010 with 57014 (statement timeout)',
      prismaKnown('P2010', { originalCode: '57014', kind: 'postgres', code: '57014', severity: 'ERROR' }),
      'timeout',
    ],
    [
      'Prisma P2010 with 55P03 (lock timeout)',
      prismaKnown('P2010', { originalCode: '55P03', kind: 'postgres', code: '55P03', severity: 'ERROR' }),
      'lock_timeout',
    ],
    ['Prisma P1017 (connection closed)', prismaKnown('P1017', { kind: 'ConnectionClosed' }), 'unreachable'],
    [
      'Prisma P2037 (too many connections)',
      prismaKnown('P2037', { kind: 'TooManyConnections' }),
      'overloaded',
    ],
    [
      'Prisma P2028 (transaction could not start in time)',
      Object.assign(new Error('Transaction API error: Unable to start a transaction in the given time.'), {
        code: 'P2028',
      }),
      'timeout',
    ],
    // Not the database's availability: these stay what they were (409s, 500s).
    ['Prisma P2002 unique violation', prismaKnown('P2002', { kind: 'UniqueConstraintViolation' }), undefined],
    [
      'Prisma P2028 misuse',
      Object.assign(new Error('Transaction API error: nested'), { code: 'P2028' }),
      undefined,
    ],
    ['pg: syntax error', pgError('42601', 'syntax error at or near "x"'), undefined],
    ['pg: deadlock', pgError('40P01', 'deadlock detected'), undefined],
    ['a TypeError', new TypeError('x is undefined'), undefined],
    ['not an error', 'Connection terminated', undefined],
    ['null', null, undefined],
  ];
  for (const [name, err, expected] of cases) {
    it(`${name} → ${expected ?? 'not a database failure'}`, () => {
      assert.equal(classifyDatabaseError(err), expected);
    });
  }

  it('survives a cause cycle', () => {
    const a: { message: string; cause?: unknown } = { message: 'a' };
    a.cause = { message: 'b', cause: a };
    assert.equal(classifyDatabaseError(a), undefined);
  });
});

describe('database failures: bounded-rate log (API.md §7)', () => {
  function setup() {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk, _enc, cb) {
        for (const l of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(l));
        cb();
      },
    });
    let now = 1_000_000;
    const log = new DatabaseFailureLog(createLogger('info', sink), { intervalMs: 5000, now: () => now });
    return { lines, log, advance: (ms: number) => (now += ms) };
  }
  const flush = () => new Promise((resolve) => setImmediate(resolve));

  it('one line for a thousand identical failures, a summary per interval, one line on recovery', async () => {
    const { lines, log, advance } = setup();
    const err = socketError('ECONNREFUSED');
    for (let i = 0; i < 1000; i += 1) log.record('unreachable', err);
    await flush();
    assert.equal(lines.length, 1);
    assert.equal(lines[0]?.msg, 'database unavailable (unreachable)');
    assert.equal(lines[0]?.level, 50);
    assert.equal(lines[0]?.stack, undefined);
    assert.ok(log.failing);
    advance(5000);
    log.record('unreachable', err);
    log.record('timeout', new Error('Query read timeout'));
    await flush();
    assert.equal(lines.length, 3);
    assert.equal(lines[1]?.msg, 'database still unavailable (unreachable)');
    assert.equal(lines[1]?.failuresSinceLastLine, 1000);
    assert.equal(lines[2]?.msg, 'database unavailable (timeout)');
    advance(1234);
    log.recovered();
    log.recovered();
    await flush();
    assert.equal(lines.length, 4);
    assert.equal(lines[3]?.msg, 'database available again');
    assert.deepEqual(lines[3]?.failures, { unreachable: 1001, timeout: 1 });
    assert.equal(lines[3]?.unavailableForMs, 6234);
    assert.equal(log.failing, false);
  });

  it('lock timeouts are throttled warnings, not an outage', async () => {
    const { lines, log } = setup();
    for (let i = 0; i < 10; i += 1)
      log.record('lock_timeout', new Error('canceling statement due to lock timeout'));
    log.recovered();
    await flush();
    assert.equal(lines.length, 1);
    assert.equal(lines[0]?.level, 40);
    assert.equal(log.failing, false);
  });
});
