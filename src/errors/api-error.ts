// One error type for everything the API reports on purpose. Services throw these; the error
// middleware turns them into JSON:API error documents. Anything else is a bug and becomes a bare 500.

export interface ErrorSource {
  pointer?: string;
  parameter?: string;
  header?: string;
}

export interface ApiErrorItem {
  status: number;
  code: string;
  title: string;
  detail?: string;
  source?: ErrorSource;
}

export class ApiError extends Error {
  readonly items: ApiErrorItem[];
  readonly headers: Record<string, string>;

  constructor(items: ApiErrorItem | ApiErrorItem[], headers: Record<string, string> = {}) {
    const list = Array.isArray(items) ? items : [items];
    super(list.map((i) => i.detail ?? i.title).join('; '));
    this.name = 'ApiError';
    this.items = list;
    this.headers = headers;
  }

  /** The document's HTTP status: the first item's (all items of one response share a class). */
  get status(): number {
    return this.items[0]?.status ?? 500;
  }
}

export const badRequest = (code: string, detail: string, source?: ErrorSource) =>
  new ApiError({ status: 400, code, title: 'Bad request', detail, ...(source ? { source } : {}) });

export const invalidParameter = (parameter: string, detail: string, code = 'invalid_query_parameter') =>
  badRequest(code, detail, { parameter });

export const unauthorized = () =>
  new ApiError(
    {
      status: 401,
      code: 'unauthorized',
      title: 'Unauthorized',
      detail: 'Missing or invalid credentials. Use HTTP Basic EMAIL:API_KEY or Bearer API_KEY.',
    },
    { 'WWW-Authenticate': 'Basic realm="auth-secrets"' },
  );

export const forbidden = (permission: string) =>
  new ApiError({
    status: 403,
    code: 'forbidden',
    title: 'Forbidden',
    detail: `This action requires the permission ${permission}.`,
  });

export const notFound = (what = 'resource') =>
  new ApiError({ status: 404, code: 'not_found', title: 'Not found', detail: `The ${what} does not exist.` });

export const conflict = (code: string, detail: string, source?: ErrorSource) =>
  new ApiError({ status: 409, code, title: 'Conflict', detail, ...(source ? { source } : {}) });

export const unprocessable = (items: { code: string; detail: string; pointer: string }[]) =>
  new ApiError(
    items.map((i) => ({
      status: 422,
      code: i.code,
      title: 'Unprocessable entity',
      detail: i.detail,
      source: { pointer: i.pointer },
    })),
  );

/** Seconds a client should wait before retrying after a database failure (Retry-After). */
export const DATABASE_RETRY_AFTER_SECONDS = 5;

const DATABASE_DETAILS = {
  unreachable: 'The database cannot be reached. Try again later.',
  timeout: 'The database did not answer in time. Try again later.',
  lock_timeout: 'The resource is being changed by another request. Try again later.',
  overloaded: 'The database is overloaded. Try again later.',
} as const;

/** API.md §7: the database could not serve the request (unreachable, too slow, or a lock held elsewhere). */
export const databaseUnavailable = (kind: keyof typeof DATABASE_DETAILS) =>
  new ApiError(
    {
      status: 503,
      code: 'database_unavailable',
      title: 'Service unavailable',
      detail: DATABASE_DETAILS[kind],
    },
    { 'Retry-After': String(DATABASE_RETRY_AFTER_SECONDS) },
  );

/** API.md §7: the request was still running when REQUEST_TIMEOUT_MS ran out. */
export const requestTimeout = (timeoutMs: number) =>
  new ApiError({
    status: 504,
    code: 'request_timeout',
    title: 'Gateway timeout',
    detail: `The request did not complete within ${timeoutMs} ms.`,
  });
