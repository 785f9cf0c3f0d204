// PostgreSQL text (and jsonb) cannot hold U+0000: it refuses the statement with SQLSTATE 22021
// (22P05 for jsonb). JSON allows "\u0000", so a client can send one in any string that ends up
// in a text column. That is the client's mistake, not a bug: instead of a 500, answer 422 and
// point at every string of the request document that holds the character. Detected on failure
// rather than rejected up front, because values stored encrypted (auth-secret credentials) may
// legitimately contain it.
import { ApiError, type ApiErrorItem } from '../errors/api-error.js';

const NUL = '\u0000';
const NUL_SQLSTATES = new Set(['22021', '22P05']);
// The walk is iterative and bounded: request documents may be deeply nested (meta, credentials).
const MAX_NODES = 10_000;

interface DriverErrorShape {
  meta?: { driverAdapterError?: { cause?: { originalCode?: unknown } } };
}

/** True for the error Prisma (over @prisma/adapter-pg) raises when PostgreSQL refuses a NUL. */
export function isNulCharacterError(err: unknown): boolean {
  const code = (err as DriverErrorShape | null)?.meta?.driverAdapterError?.cause?.originalCode;
  return typeof code === 'string' && NUL_SQLSTATES.has(code);
}

const escapePointer = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1');

/** JSON pointers of every string (or member name) in `document` that contains U+0000. */
export function nulPointers(document: unknown): string[] {
  const found: string[] = [];
  const stack: [unknown, string][] = [[document, '']];
  for (let visited = 0; stack.length > 0 && visited < MAX_NODES; visited++) {
    const [value, pointer] = stack.pop() as [unknown, string];
    if (typeof value === 'string') {
      if (value.includes(NUL)) found.push(pointer);
    } else if (value !== null && typeof value === 'object') {
      for (const [key, child] of Object.entries(value)) {
        const childPointer = `${pointer}/${escapePointer(key)}`;
        if (key.includes(NUL)) found.push(childPointer);
        else stack.push([child, childPointer]);
      }
    }
  }
  return found.sort();
}

export function nulCharacterError(body: unknown): ApiError {
  const item = (pointer?: string): ApiErrorItem => ({
    status: 422,
    code: 'invalid_character',
    title: 'Invalid value',
    detail: 'Text values must not contain the NUL character (U+0000).',
    ...(pointer !== undefined ? { source: { pointer } } : {}),
  });
  const pointers = nulPointers(body);
  return new ApiError(pointers.length > 0 ? pointers.map(item) : [item()]);
}
