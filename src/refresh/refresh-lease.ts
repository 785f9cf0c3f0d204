// Cross-process single flight. With Redis, the process that takes a secret's lease
// calls the provider; every other process waits for the lease to go and reads the outcome the
// owner left behind, keyed by the owner's token. The lease is released only by its owner
// (compare-and-delete in Lua), its TTL exceeds the provider timeout, and the owner extends it
// while it works, so a lease only lapses when its owner died. Without Redis there is one process,
// and the in-process single flight in front of this is all the coordination needed.
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { ApiError } from '../errors/api-error.js';
import type { ProviderErrorKind } from './provider-error.js';

/**
 * What a refresh ended with, in a form other processes can read back. `superseded`: the provider
 * renewed the token, but credentials written during the call were kept instead; callers get the
 * stored secret, as for `already_renewed`.
 */
export type SharedOutcome =
  | { kind: 'refreshed' | 'already_renewed' | 'superseded' | 'rejected' | 'gone' }
  | { kind: 'failed'; error: Exclude<ProviderErrorKind, 'rejected'>; detail: string };

export interface LeaseResult {
  outcome: SharedOutcome;
  /** True when another process did the work and this one only waited for it. */
  waited: boolean;
}

export interface RefreshCoordinator {
  exclusive(secretId: string, work: () => Promise<SharedOutcome>): Promise<LeaseResult>;
}

export class CoordinationError extends ApiError {
  constructor(detail: string) {
    super(
      { status: 503, code: 'refresh_coordination_unavailable', title: 'Service unavailable', detail },
      { 'Retry-After': '1' },
    );
  }
}

export const localCoordinator: RefreshCoordinator = {
  async exclusive(_secretId, work) {
    return { outcome: await work(), waited: false };
  },
};

const RELEASE = `
if redis.call('get', KEYS[1]) == ARGV[1] then
  redis.call('set', KEYS[2], ARGV[2], 'PX', ARGV[3])
  return redis.call('del', KEYS[1])
end
return 0`;

const DELETE_IF_OWNER = `
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('del', KEYS[1])
end
return 0`;

const EXTEND = `
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0`;

export interface RedisCoordinatorOptions {
  /** Must exceed the provider timeout plus the database work around the call. */
  leaseTtlMs: number;
  /** How long another process's outcome stays readable. */
  resultTtlMs?: number;
  pollMs?: number;
  keyPrefix?: string;
  onLeaseLost?: (secretId: string) => void;
}

export function redisCoordinator(redis: Redis, opts: RedisCoordinatorOptions): RefreshCoordinator {
  const prefix = opts.keyPrefix ?? 'auth-secrets:refresh:';
  const resultTtlMs = opts.resultTtlMs ?? Math.max(30_000, opts.leaseTtlMs);
  const pollMs = opts.pollMs ?? 25;
  const leaseKey = (id: string) => `${prefix}lease:${id}`;
  const resultKey = (id: string, owner: string) => `${prefix}result:${id}:${owner}`;
  const redisCall = async <T>(fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch {
      throw new CoordinationError('Refresh coordination (Redis) is unavailable; try again shortly.');
    }
  };

  // A SET NX that timed out was sent, so a Redis that was only slow or frozen may still carry it
  // out later: a lease nobody owns would then hold every refresh of that secret off for its whole
  // TTL once Redis answers again. Delete it (if it is still ours) as soon as Redis answers, for as
  // long as it could live. Commands are refused at once while the connection is down, so this is
  // one cheap attempt per interval.
  function dropIfOrphaned(secretId: string, owner: string) {
    const until = Date.now() + opts.leaseTtlMs;
    const attempt = () => {
      redis.eval(DELETE_IF_OWNER, 1, leaseKey(secretId), owner).then(
        (deleted) => {
          if (deleted !== 1 && Date.now() < until) retry();
        },
        () => {
          if (Date.now() < until) retry();
        },
      );
    };
    const retry = () => setTimeout(attempt, Math.min(500, opts.leaseTtlMs)).unref();
    retry();
  }

  async function runAsOwner(secretId: string, owner: string, work: () => Promise<SharedOutcome>) {
    const heartbeat = setInterval(
      () => {
        redis.eval(EXTEND, 1, leaseKey(secretId), owner, opts.leaseTtlMs).then(
          (extended) => {
            if (extended === 0) opts.onLeaseLost?.(secretId);
          },
          () => undefined,
        );
      },
      Math.max(50, Math.floor(opts.leaseTtlMs / 3)),
    );
    heartbeat.unref();
    let outcome: SharedOutcome | undefined;
    try {
      outcome = await work();
      return outcome;
    } finally {
      clearInterval(heartbeat);
      // Without an outcome (work threw) waiters find no result and take the lease themselves.
      const payload = outcome ? JSON.stringify(outcome) : '';
      const release = outcome
        ? redis.eval(RELEASE, 2, leaseKey(secretId), resultKey(secretId, owner), owner, payload, resultTtlMs)
        : redis.eval(DELETE_IF_OWNER, 1, leaseKey(secretId), owner);
      await release.catch(() => undefined); // an unreleased lease still expires on its own
    }
  }

  return {
    async exclusive(secretId, work) {
      const deadline = Date.now() + opts.leaseTtlMs + 2000;
      while (Date.now() < deadline) {
        const owner = randomBytes(16).toString('hex');
        const taken = await redisCall(() =>
          redis.set(leaseKey(secretId), owner, 'PX', opts.leaseTtlMs, 'NX').catch((err: unknown) => {
            if (err instanceof Error && /timed out/i.test(err.message)) dropIfOrphaned(secretId, owner);
            throw err;
          }),
        );
        if (taken === 'OK') return { outcome: await runAsOwner(secretId, owner, work), waited: false };
        const holder = await redisCall(() => redis.get(leaseKey(secretId)));
        if (holder === null) continue; // released in between: try again at once
        while (Date.now() < deadline) {
          await sleep(pollMs);
          const current = await redisCall(() => redis.get(leaseKey(secretId)));
          if (current === holder) continue;
          const shared = await redisCall(() => redis.get(resultKey(secretId, holder)));
          if (shared) return { outcome: JSON.parse(shared) as SharedOutcome, waited: true };
          break; // the holder died or failed without an outcome: compete for the lease again
        }
      }
      throw new CoordinationError('Another refresh of this secret is still running; try again shortly.');
    },
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
