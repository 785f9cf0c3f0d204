// When a failed delivery is tried again (API.md §11: exponential backoff with jitter for about a
// day, at least 6 attempts). The schedule is configuration (WEBHOOK_RETRY_SCHEDULE_SECONDS): the
// delay after attempt n is schedule[n-1]; after the last delay comes one more attempt, then the
// delivery is failed. The default grows roughly ×4–6 per step (5 s … 8 h, 8 attempts, ~23.6 h).

/** ±20 %: deliveries that failed together (a receiver's outage) do not all come back together. */
const JITTER = 0.2;

export const maxAttempts = (scheduleSeconds: readonly number[]): number => scheduleSeconds.length + 1;

/** Milliseconds to wait after `attemptsMade` attempts, or null when none is left. */
export function retryDelayMs(
  scheduleSeconds: readonly number[],
  attemptsMade: number,
  random: () => number = Math.random,
): number | null {
  const seconds = scheduleSeconds[attemptsMade - 1];
  if (seconds === undefined) return null;
  return Math.round(seconds * 1000 * (1 - JITTER + 2 * JITTER * random()));
}
