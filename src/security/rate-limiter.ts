// One fixed-window counter per key (rate-limiter-flexible): in Redis when the process has a Redis
// connection, so every process counts against the same limit, otherwise in this process's memory.
// A store that fails or does not answer in time lets the request through (fail open): this service
// is on the path of every credential read, and its availability matters more than the limit.
import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';

export const WINDOW_SECONDS = 60;
const KEY_PREFIX = 'auth-secrets:rate-limit';
// Generous: on a loaded machine a Redis round trip can take tens of milliseconds; a timeout here
// would silently allow requests over the limit.
const DEFAULT_STORE_TIMEOUT_MS = 1000;

export interface LimitDecision {
  allowed: boolean;
  /** Whole seconds until the window ends (at least 1); 0 when allowed. */
  retryAfterSeconds: number;
}

export interface CountingLimiter {
  /** Counts one event for `key`; not allowed once the key has used up its points in this window. */
  consume(key: string): Promise<LimitDecision>;
  /** Not allowed when `key` has already used up its points in this window; counts nothing. */
  check(key: string): Promise<LimitDecision>;
}

export interface LimiterOptions {
  /** Part of the Redis key: `auth-secrets:rate-limit:<name>:<key>`. */
  name: string;
  pointsPerWindow: number;
  redis: Redis | undefined;
  /** Called when the store fails; the request is then allowed. */
  onStoreError(name: string, err: unknown): void;
  storeTimeoutMs?: number;
}

const ALLOWED: LimitDecision = { allowed: true, retryAfterSeconds: 0 };

const refused = (msBeforeNext: number): LimitDecision => ({
  allowed: false,
  retryAfterSeconds: Math.max(1, Math.ceil(msBeforeNext / 1000)),
});

/** A counter for one kind of limit, or undefined when the limit is disabled (0 points). */
export function createLimiter(options: LimiterOptions): CountingLimiter | undefined {
  const { name, pointsPerWindow: points, redis, onStoreError } = options;
  if (points <= 0) return undefined;
  const base = { keyPrefix: `${KEY_PREFIX}:${name}`, points, duration: WINDOW_SECONDS };
  // rejectIfRedisNotReady: while ioredis reconnects, fail at once instead of queueing the command.
  const store = redis
    ? new RateLimiterRedis({ ...base, storeClient: redis, rejectIfRedisNotReady: true })
    : new RateLimiterMemory(base);
  const timeoutMs = options.storeTimeoutMs ?? DEFAULT_STORE_TIMEOUT_MS;

  return {
    async consume(key) {
      try {
        await withTimeout(store.consume(key), timeoutMs);
        return ALLOWED;
      } catch (err) {
        // rate-limiter-flexible rejects with a RateLimiterRes when the key is over its limit.
        if (err instanceof RateLimiterRes) return refused(err.msBeforeNext);
        onStoreError(name, err);
        return ALLOWED;
      }
    },
    async check(key) {
      try {
        const res = await withTimeout(store.get(key), timeoutMs);
        return res && res.consumedPoints >= points ? refused(res.msBeforeNext) : ALLOWED;
      } catch (err) {
        onStoreError(name, err);
        return ALLOWED;
      }
    },
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`rate limit store did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
