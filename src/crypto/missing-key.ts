// A ciphertext sealed with a key this process does not have is a deployment's configuration
// problem (typically a key rotation that made a key the sealing key on one process before every
// process had it as decrypt-only), not a bug in a request. Every read of such a secret meets it,
// so it is logged at most once per key id and interval, with how many were not logged, and
// always by key id only: key ids are checked against KEY_ID_PATTERN when a blob is parsed, and
// key material never reaches this module.
import type { Logger } from 'pino';
import { LogThrottle } from '../observability/log-throttle.js';
import { DecryptionError } from './envelope.js';

export const MISSING_KEY_LOG_INTERVAL_MS = 60_000;

/** True when `err` says the sealing key is not in this process's key ring. */
export function isMissingKey(err: unknown): err is DecryptionError & { keyId: string } {
  return err instanceof DecryptionError && err.code === 'unknown_key' && err.keyId !== undefined;
}

export type MissingKeyReporter = (
  err: DecryptionError & { keyId: string },
  fields: object,
  message: string,
) => void;

/** Logs each missing key id at most once per `intervalMs` (per reporter), with the suppressed count. */
export function missingKeyReporter(
  logger: Logger,
  intervalMs = MISSING_KEY_LOG_INTERVAL_MS,
): MissingKeyReporter {
  const throttle = new LogThrottle<string>(intervalMs);
  return (err, fields, message) => {
    const admitted = throttle.admit(err.keyId);
    if (!admitted) return;
    logger.error(
      {
        ...fields,
        keyId: err.keyId,
        reason: err.code,
        suppressed: admitted.repeat?.heldBack ?? 0,
        hint: `add key "${err.keyId}" to ENCRYPTION_KEYS of this process (see README, key rotation)`,
      },
      message,
    );
  };
}
