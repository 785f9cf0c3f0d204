// The Redis connection of an entry point (server or worker), opened only when REDIS_URL is set.
// Commands fail fast while Redis is down (a refresh answers 503 rather than hanging).
import { Redis } from 'ioredis';
import type { Logger } from 'pino';

export async function openRedis(url: string, logger: Logger): Promise<Redis> {
  const redis = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 2,
    connectTimeout: 5000,
    enableOfflineQueue: true,
  });
  // ioredis reconnects by itself; without a listener an 'error' event would crash the process.
  redis.on('error', (err: Error) => logger.warn({ err: { message: err.message } }, 'redis connection error'));
  try {
    await redis.connect();
    await redis.ping();
  } catch (err) {
    redis.disconnect();
    const reason = err instanceof Error ? err.message : String(err);
    const error = new Error(`Cannot connect to REDIS_URL: ${reason}`);
    error.name = 'StartupError';
    throw error;
  }
  return redis;
}

export async function closeRedis(redis: Redis): Promise<void> {
  try {
    await redis.quit();
  } catch {
    redis.disconnect();
  }
}
