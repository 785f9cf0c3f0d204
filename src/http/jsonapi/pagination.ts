// Keyset (cursor) pagination. Ids are UUIDv7, so "id > cursor" is creation order and a
// cursor stays correct while other rows are inserted concurrently.

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The cursor is opaque to clients: base64url of the last id of the page. */
export const encodeCursor = (lastId: string): string => Buffer.from(lastId, 'utf8').toString('base64url');

export function decodeCursor(cursor: string): string | undefined {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(cursor)) return undefined;
  const id = Buffer.from(cursor, 'base64url').toString('utf8');
  return UUID_RE.test(id) ? id : undefined;
}

/**
 * Collections keyed by a number (an auth-secret's versions, newest first): base64url of
 * "version:<n>". Decodes to the number as a string, or undefined for anything this service did not issue.
 */
export const encodeNumberCursor = (lastNumber: number): string =>
  Buffer.from(`version:${lastNumber}`, 'utf8').toString('base64url');

export function decodeNumberCursor(cursor: string): string | undefined {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(cursor)) return undefined;
  const match = /^version:([1-9][0-9]{0,9})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  return match && Number(match[1]) <= 2_147_483_647 ? match[1] : undefined;
}

export interface Page<T> {
  items: T[];
  /** The cursor of the next page, when more data exists. */
  nextCursor: string | undefined;
}

/** Repositories fetch `size + 1` rows; the extra row only tells whether a next page exists. */
export function toPage<T extends { id: string }>(rows: T[], size: number): Page<T> {
  const items = rows.slice(0, size);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > size && last ? encodeCursor(last.id) : undefined };
}
