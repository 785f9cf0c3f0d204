// Shared by the security suites: the log lines a test caused, and client addresses of their own.
import { capturedLogs } from '../support/test-app.js';

export type LogLine = Record<string, unknown> & { msg?: string; level?: number };

/** The log lines written to capturedLogs since `from` (an index into it), parsed. */
export function logLinesSince(from: number): LogLine[] {
  return capturedLogs.slice(from).flatMap((chunk) =>
    chunk
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as LogLine),
  );
}

/** Waits (bounded) until a log line written since `from` matches: request lines are written on 'finish'. */
export async function waitForLogLine(
  from: number,
  match: (line: LogLine) => boolean,
  timeoutMs = 2000,
): Promise<LogLine> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const line = logLinesSince(from).find(match);
    if (line) return line;
    if (Date.now() > deadline) throw new Error('no matching log line was written');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A random address in 2001:db8::/32 (documentation prefix): its own /64, so its own counters. */
export function randomClientAddress(): string {
  const hex = () => Math.floor(Math.random() * 0x10000).toString(16);
  return `2001:db8:${hex()}:${hex()}::${hex()}`;
}
