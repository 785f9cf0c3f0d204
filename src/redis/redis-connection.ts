// The Redis connection of an entry point (server or worker), opened only when REDIS_URL is set.
//
// While Redis is down every command must fail at once (API.md §7: a refresh that needs
// cross-process coordination answers 503 within about 1 s, reads go on as usual): ioredis'
// defaults instead queue commands while it reconnects and give up only after several attempts,
// which made refreshes answer after up to ~10 s. So:
//   - no offline queue: a command sent while the connection is not ready is rejected at once;
//   - no per-command retries: a command whose connection dropped fails instead of being re-sent;
//   - a command timeout, for a Redis that accepts connections but does not answer (frozen, or a
//     half-open connection): the lease makes a few round trips per refresh, each bounded by it;
//   - reconnect attempts at most RECONNECT_MAX_MS apart, so coordination is back within
//     about a second of Redis returning, without a restart;
//   - a heartbeat PING: a Redis that stops answering (frozen, or a network path that drops
//     packets) never closes the connection, so every command would wait for its timeout, several
//     per request. A missed heartbeat drops the connection instead; while it is re-established
//     commands are refused at once.
// The outage is logged once when it starts and once when it ends, never per attempt or command.
import { Redis } from 'ioredis';
import type { Logger } from 'pino';

/** Longest a single command may take before it fails (the lease's round trips stay far below 1 s). */
export const REDIS_COMMAND_TIMEOUT_MS = 500;
const CONNECT_TIMEOUT_MS = 1000;
const RECONNECT_MAX_MS = 1000;
const HEARTBEAT_MS = 500;

// Connections being closed on purpose (shutdown): their 'close' is not an outage.
const closing = new WeakSet<Redis>();

export async function openRedis(url: string, logger: Logger): Promise<Redis> {
  const redis = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
    connectTimeout: CONNECT_TIMEOUT_MS,
    // Never give up (returning a number keeps reconnecting): Redis may come back at any time.
    retryStrategy: (attempt) => Math.min(100 * attempt, RECONNECT_MAX_MS),
  });
  try {
    // The first connection is made before anything else uses Redis: a failure here stops the
    // start-up with a clear error instead of a service that can never coordinate.
    await redis.connect();
    await redis.ping();
  } catch (err) {
    redis.disconnect();
    const reason = err instanceof Error ? err.message : String(err);
    const error = new Error(`Cannot connect to REDIS_URL: ${reason}`);
    error.name = 'StartupError';
    throw error;
  }
  watchAvailability(redis, logger);
  startHeartbeat(redis);
  return redis;
}

const heartbeats = new WeakMap<Redis, NodeJS.Timeout>();

function startHeartbeat(redis: Redis): void {
  let pending = false;
  const timer = setInterval(() => {
    // Only a ready connection is checked: while reconnecting ioredis has its own timeouts.
    if (pending || redis.status !== 'ready') return;
    pending = true;
    redis
      .ping()
      .catch(() => {
        // Still "ready" after a failed PING (a command timeout): the server does not answer.
        if (redis.status === 'ready' && !closing.has(redis)) redis.disconnect(true);
      })
      .finally(() => {
        pending = false;
      });
  }, HEARTBEAT_MS);
  timer.unref();
  heartbeats.set(redis, timer);
}

/**
 * Logs "Redis unavailable" once when the connection is lost (or errors) and "Redis back" once when
 * it is ready again. ioredis emits 'error' and 'close' on every failed reconnect attempt: only the
 * first of an outage is logged, with how many attempts it took when it ends.
 */
export function watchAvailability(redis: Redis, logger: Logger): void {
  let down = false;
  let downSince = 0;
  let failures = 0;
  const lost = (reason: string) => {
    if (closing.has(redis)) return;
    failures += 1;
    if (down) return;
    down = true;
    downSince = Date.now();
    logger.warn(
      { reason },
      'Redis unavailable: refreshes that need cross-process coordination answer 503 until it is back; reads go on',
    );
  };
  // Without an 'error' listener ioredis' errors would crash the process.
  redis.on('error', (err: Error) => lost(err.message));
  redis.on('close', () => lost('connection closed'));
  redis.on('ready', () => {
    if (!down) return;
    logger.info(
      { downForMs: Date.now() - downSince, failedAttempts: failures },
      'Redis back: cross-process refresh coordination restored',
    );
    down = false;
    failures = 0;
  });
}

export async function closeRedis(redis: Redis): Promise<void> {
  closing.add(redis);
  clearInterval(heartbeats.get(redis));
  try {
    await redis.quit();
  } catch {
    redis.disconnect();
  }
}
