// How the long-running entry points (server.ts, worker.ts) end when they cannot start. A problem
// the operator can fix (configuration, key ring, a missing setting) is printed as its message
// alone, which already says what to change; anything else is a bug and keeps its stack.
import { ConfigError } from './config/config.js';

const OPERATOR_ERRORS = ['StartupError', 'KeyRingError'];

export function exitOnStartupFailure(err: unknown): never {
  const known = err instanceof ConfigError || (err instanceof Error && OPERATOR_ERRORS.includes(err.name));
  process.stderr.write(
    known && err instanceof Error
      ? `${err.message}\n`
      : `Failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
}

/** Closes what start-up opened so far (the embedded database's lock above all), then rethrows. */
export function closeOnError(opened: { close(): Promise<void> }) {
  return async (err: unknown): Promise<never> => {
    await opened.close().catch(() => undefined);
    throw err;
  };
}
