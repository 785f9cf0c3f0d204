// Per-turn batching of hot-path lookups (DataLoader): every lookup asked for while the event loop
// handles one round of I/O goes to the database as one query, sent at the end of that round
// (setImmediate). Under load, the requests that arrived together share their authentication,
// permission and secret queries instead of each paying a round trip.
//
// Freshness is unchanged: a batch is sent only after every request in it arrived, so each request
// sees the database as of a moment after its arrival — a key revoked before the request came in is
// seen as revoked. Nothing is cached between batches (cache: false).
import DataLoader from 'dataloader';
import { isUuid } from '../db/uuid7.js';

/** Upper bound per statement: keeps one batch's query and result small. */
const MAX_BATCH = 200;

/**
 * `loadMany` receives distinct keys and returns the found values by key; a key with no value
 * resolves to undefined. `isValid` screens keys before they reach the statement: one key the
 * statement's casts would refuse (a non-UUID for `::uuid[]`) must not fail the other requests of
 * its batch, so such a key simply finds nothing.
 */
export function createBatchLoader<K extends string, V>(
  loadMany: (keys: K[]) => Promise<Map<K, V>>,
  isValid: (key: K) => boolean = () => true,
): (key: K) => Promise<V | undefined> {
  const loader = new DataLoader<K, V | undefined>(
    async (keys) => {
      const valid = [...new Set(keys)].filter(isValid);
      const found = valid.length > 0 ? await loadMany(valid) : new Map<K, V>();
      return keys.map((k) => found.get(k));
    },
    { cache: false, maxBatchSize: MAX_BATCH, batchScheduleFn: (dispatch) => setImmediate(dispatch) },
  );
  return (key) => loader.load(key);
}

/** For composite keys of UUIDs joined by "|" ("workspace|secret"): every part must be one. */
export const uuidParts = (key: string): boolean => key.split('|').every(isUuid);
