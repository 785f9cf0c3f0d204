// Query-parameter parsing for every route. Express's simple parser gives flat keys
// ("page[size]"), which we validate against the route's declared list: anything unknown is a 400.
import { isUuid } from '../../db/uuid7.js';
import { ApiError, type ApiErrorItem } from '../../errors/api-error.js';
import { decodeCursor, decodeNumberCursor } from './pagination.js';
import { isResourceType, RESOURCE_FIELDS } from './resource-types.js';

export type FilterKind = 'uuid' | 'string' | { enum: readonly string[] };

/**
 * Filters on the entries of an object attribute, one parameter per key: `filter[tags.env]=prod`
 * under the prefix `tags`. Every key must match `key`; at most `maxCount` of them per request (each
 * one is a join: docs/PERFORMANCE.md). Values are matched exactly and may be empty.
 */
export interface KeyedFilterSpec {
  key: RegExp;
  maxCount: number;
  maxValueLength: number;
}

export interface QuerySpec {
  filters?: Record<string, FilterKind>;
  /** By prefix: `tags` admits `filter[tags.KEY]`. */
  keyedFilters?: Record<string, KeyedFilterSpec>;
  include?: readonly string[];
  paginated?: boolean;
  /**
   * The route reads its own parameters from the request: a redirect from an OAuth provider carries
   * whatever the provider adds beside `code` and `state`, and RFC 6749 §4.1.2 has the client ignore
   * the ones it does not know.
   */
  ownParameters?: true;
  /** What page[cursor] encodes: a row id (default) or a number (pagination.ts). */
  cursor?: 'id' | 'number';
  /**
   * Plain integer parameters of a GET route and their inclusive range (e.g. `min_validity`); the
   * description is what the OpenAPI document says of the parameter.
   */
  integers?: Record<string, { min: number; max: number; description?: string }>;
}

export interface ParsedQuery {
  filters: Record<string, string>;
  /** By prefix, then key: `filter[tags.env]=prod` is `keyedFilters.tags.env === 'prod'`. */
  keyedFilters: Record<string, Record<string, string>>;
  include: string[];
  fields: Record<string, string[]>;
  page: { size: number; cursor: string | undefined };
  /** The route's integer parameters that were given. */
  integers: Record<string, number>;
}

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 200;

const FAMILY_RE = /^(filter|fields|page)\[([^\][]*)\]$/;

export function parseQuery(query: Record<string, unknown>, spec: QuerySpec, method: string): ParsedQuery {
  const problems: ApiErrorItem[] = [];
  const bad = (parameter: string, detail: string, code = 'invalid_query_parameter') =>
    problems.push({ status: 400, code, title: 'Invalid query parameter', detail, source: { parameter } });
  const parsed: ParsedQuery = {
    filters: {},
    keyedFilters: {},
    include: [],
    fields: {},
    page: { size: DEFAULT_PAGE_SIZE, cursor: undefined },
    integers: {},
  };
  if (spec.ownParameters) return parsed;

  for (const [key, rawValue] of Object.entries(query)) {
    if (typeof rawValue !== 'string') {
      bad(key, `Query parameter "${key}" must be given once, as a plain value.`);
      continue;
    }
    // PostgreSQL text cannot hold U+0000; a filter carrying one would otherwise fail as a 500.
    if (rawValue.includes('\u0000')) {
      bad(key, `Query parameter "${key}" must not contain the NUL character.`);
      continue;
    }
    const value = rawValue;
    const family = FAMILY_RE.exec(key);
    const keyed = family?.[1] === 'filter' ? keyedFilterOf(spec, family[2] ?? '') : undefined;
    if (key === 'include' && spec.include && method === 'GET') {
      for (const path of value.split(',')) {
        if (!spec.include.includes(path))
          bad(key, `Cannot include "${path}". Allowed: ${spec.include.join(', ')}.`);
        else if (!parsed.include.includes(path)) parsed.include.push(path);
      }
    } else if (family?.[1] === 'filter' && spec.filters && Object.hasOwn(spec.filters, family[2] ?? '')) {
      const name = family[2] as string;
      const kind = spec.filters[name] as FilterKind;
      if (kind === 'uuid' && !isUuid(value)) bad(key, `${key} must be a UUID.`);
      else if (typeof kind === 'object' && !kind.enum.includes(value))
        bad(key, `${key} must be one of: ${kind.enum.join(', ')}.`);
      else if (value.length === 0 || value.length > 320) bad(key, `${key} must be 1 to 320 characters.`);
      else parsed.filters[name] = value;
    } else if (keyed) {
      // No prototype: a key named __proto__ is a key like any other (the tag pattern admits it).
      const entries = parsed.keyedFilters[keyed.prefix] ?? (Object.create(null) as Record<string, string>);
      parsed.keyedFilters[keyed.prefix] = entries;
      if (!keyed.spec.key.test(keyed.key))
        bad(key, `The key in ${key} must match ${keyed.spec.key.source}.`, 'invalid_filter_key');
      // In code points, as JSON Schema's maxLength counts the stored values.
      else if ([...value].length > keyed.spec.maxValueLength)
        bad(key, `${key} must be at most ${keyed.spec.maxValueLength} characters.`);
      else if (Object.keys(entries).length >= keyed.spec.maxCount)
        bad(
          key,
          `At most ${keyed.spec.maxCount} filter[${keyed.prefix}.KEY] parameters are accepted in one request.`,
          'too_many_filters',
        );
      else entries[keyed.key] = value;
    } else if (family?.[1] === 'fields' && method === 'GET') {
      const type = family[2] ?? '';
      if (!isResourceType(type)) {
        bad(key, `Unknown resource type "${type}".`);
        continue;
      }
      const allowed: readonly string[] = RESOURCE_FIELDS[type];
      const names = value === '' ? [] : value.split(',');
      const unknown = names.filter((n) => !allowed.includes(n));
      if (unknown.length > 0) bad(key, `Unknown field(s) of ${type}: ${unknown.join(', ')}.`);
      else parsed.fields[type] = names;
    } else if (family?.[1] === 'page' && spec.paginated && family[2] === 'size') {
      const n = /^\d{1,4}$/.test(value) ? Number(value) : Number.NaN;
      if (!(n >= 1 && n <= MAX_PAGE_SIZE))
        bad(key, `page[size] must be an integer from 1 to ${MAX_PAGE_SIZE}.`);
      else parsed.page.size = n;
    } else if (family?.[1] === 'page' && spec.paginated && family[2] === 'cursor') {
      const cursor = spec.cursor === 'number' ? decodeNumberCursor(value) : decodeCursor(value);
      if (cursor === undefined) bad(key, 'page[cursor] is not a cursor this service issued.');
      else parsed.page.cursor = cursor;
    } else if (spec.integers && Object.hasOwn(spec.integers, key) && method === 'GET') {
      const { min, max } = spec.integers[key] as { min: number; max: number };
      const n = /^\d{1,10}$/.test(value) ? Number(value) : Number.NaN;
      if (!(n >= min && n <= max)) bad(key, `${key} must be an integer from ${min} to ${max}.`);
      else parsed.integers[key] = n;
    } else {
      bad(key, `Unknown query parameter "${key}".`, 'unknown_query_parameter');
    }
  }
  if (problems.length > 0) throw new ApiError(problems);
  return parsed;
}

/** `tags.env` under a route that admits keyed filters with the prefix `tags`: prefix `tags`, key `env`. */
function keyedFilterOf(spec: QuerySpec, name: string) {
  const dot = name.indexOf('.');
  const prefix = name.slice(0, Math.max(dot, 0));
  if (dot <= 0 || !spec.keyedFilters || !Object.hasOwn(spec.keyedFilters, prefix)) return undefined;
  return { prefix, key: name.slice(dot + 1), spec: spec.keyedFilters[prefix] as KeyedFilterSpec };
}
