// Builds JSON:API documents with ts-japi from a declarative ResourceSpec per type.
// Serializers are assembled per request because links depend on the request's base URL and
// sparse fieldsets/includes on its query. Related data is looked up by the caller in batches
// beforehand (ts-japi's relators run one by one), so relators here only read from maps.
import japi from 'ts-japi';
import type { Links } from './links.js';
import type { ResourceType } from './resource-types.js';

const { Serializer, Relator, Linker, Paginator, Cache } = japi;

/**
 * ts-japi's Serializer keeps its last documents in a cache of its own, even with `cache: false`
 * (serialize() always calls cache.set). Serializers are reused across requests here (below), so
 * that cache would keep recent responses — decrypted credentials among them — alive in the heap.
 * This one stores nothing.
 */
class NoStore extends Cache<never> {
  override get(): false {
    return false;
  }
  override set(_data: unknown, document: never): never {
    return document;
  }
}

export interface RelationshipSpec<D> {
  type: ResourceType;
  id(d: D): string | null;
  /** Path of the related resource, e.g. `/v2/users/{id}`. */
  relatedPath(d: D): string;
}

export interface ResourceSpec<D> {
  type: ResourceType;
  id(d: D): string;
  /**
   * The explicit allow-list of attributes: nothing else of the domain object is ever output.
   * `links` for attributes that are URLs of this service (an auth-client's `redirect_uri`).
   */
  attributes(d: D, links: Links): Record<string, unknown>;
  selfPath(d: D): string;
  relationships?: Record<string, RelationshipSpec<D>>;
}

export interface IncludedSet {
  // biome-ignore lint/suspicious/noExplicitAny: included resources are of any type; the spec and its data travel together.
  spec: ResourceSpec<any>;
  byId: Map<string, unknown>;
}

export interface DocumentOptions {
  links: Links;
  /** fields[TYPE] from the query. */
  fields?: Record<string, string[]>;
  /** Relationship name → related domain objects, for `include`. */
  included?: Record<string, IncludedSet>;
  /** Collections: the document's own URL and the next page's, when there is one. */
  selfUrl?: string;
  nextUrl?: string | undefined;
  meta?: Record<string, unknown>;
}

type View = { id: string } & Record<string, unknown>;

const JSONAPI_VERSION = '1.1';

/** What a relator or linker needs of the request that produced a view: kept beside the view. */
interface Origin {
  domain: unknown;
  included: Record<string, IncludedSet> | undefined;
}

// View → its domain object and the request's included data. Module-wide so that serializers can
// be reused across requests (below); entries go with their views.
const origins = new WeakMap<object, Origin>();

function toView<D>(
  spec: ResourceSpec<D>,
  d: D,
  links: Links,
  included: Record<string, IncludedSet> | undefined,
): View {
  const view: View = { id: spec.id(d), ...spec.attributes(d, links) };
  origins.set(view, { domain: d, included });
  return view;
}

const originOf = (view: View) => origins.get(view) as Origin;

function buildSerializer<D>(
  spec: ResourceSpec<D>,
  links: Links,
  fields: Record<string, string[]> | undefined,
  /** Relationship name → spec of the included resources (top level only). */
  includedSpecs: Record<string, ResourceSpec<unknown>>,
  depth: number,
) {
  const includeNames = Object.keys(includedSpecs);
  const wanted = fields?.[spec.type];
  const projection = wanted ? Object.fromEntries(wanted.map((f) => [f, 1 as const])) : null;
  const relators: Record<string, InstanceType<typeof Relator<View>>> = {};
  for (const [name, rel] of Object.entries(spec.relationships ?? {})) {
    if (wanted && !wanted.includes(name)) continue;
    const includedSpec = depth === 0 ? includedSpecs[name] : undefined;
    const includes = includedSpec !== undefined;
    const relatedSerializer = includedSpec
      ? buildSerializer(includedSpec, links, fields, {}, depth + 1)
      : new Serializer(rel.type, { version: null, projection: {}, cache: new NoStore() } as never);
    relators[name] = new Relator(
      async (view: View) => {
        const { domain, included } = originOf(view);
        const id = rel.id(domain as D);
        if (id === null) return null;
        const set = includes ? included?.[name] : undefined;
        const full = set?.byId.get(id);
        return set && full !== undefined ? toView(set.spec, full, links, undefined) : { id };
      },
      relatedSerializer,
      {
        relatedName: name,
        linkers: {
          related: new Linker((view: View) => links.url(rel.relatedPath(originOf(view).domain as D))),
        },
      },
    );
  }
  return new Serializer<View>(spec.type, {
    version: JSONAPI_VERSION,
    projection: projection === null ? null : (projection as never),
    relators: Object.keys(relators).length > 0 ? relators : undefined,
    linkers: { resource: new Linker((view: View) => links.url(spec.selfPath(originOf(view).domain as D))) },
    include: depth === 0 && includeNames.length > 0 ? includeNames : 0,
    cache: new NoStore(),
  } as never);
}

/**
 * Serializers are reused while base URL, sparse fieldsets and includes are the same: building
 * one (ts-japi deep-merges its options on construction and on every serialize() that passes
 * options) cost more than serializing a resource. Bounded, since all three come from the request.
 */
const serializers = new Map<string, ReturnType<typeof buildSerializer>>();
const MAX_SERIALIZERS = 256;

/** How many documents the reused serializers hold (always 0: see NoStore); for tests. */
export function documentsHeldBySerializers(): number {
  let held = 0;
  for (const serializer of serializers.values()) {
    held += ((serializer as unknown as { cache: { storage?: unknown[] } }).cache.storage ?? []).length;
  }
  return held;
}

function serializerFor<D>(spec: ResourceSpec<D>, opts: DocumentOptions) {
  const includedSpecs = Object.fromEntries(
    Object.entries(opts.included ?? {}).map(([name, set]) => [name, set.spec as ResourceSpec<unknown>]),
  );
  const includedTypes = Object.entries(includedSpecs).map(([name, s]) => `${name}:${s.type}`);
  const key = JSON.stringify([spec.type, opts.links.base, opts.fields ?? null, includedTypes]);
  let serializer = serializers.get(key);
  if (!serializer) {
    serializer = buildSerializer(spec, opts.links, opts.fields, includedSpecs, 0);
    if (serializers.size >= MAX_SERIALIZERS) serializers.delete(serializers.keys().next().value as string);
    serializers.set(key, serializer);
  }
  return serializer;
}

export async function buildDocument<D>(
  spec: ResourceSpec<D>,
  data: D | D[],
  opts: DocumentOptions,
): Promise<unknown> {
  const serializer = serializerFor(spec, opts);
  const views = Array.isArray(data)
    ? data.map((d) => toView(spec, d, opts.links, opts.included))
    : toView(spec, data, opts.links, opts.included);
  // Document-level links are per request: passing them costs an option merge, so only when set.
  const documentLinkers = {
    ...(opts.selfUrl ? { document: new Linker(() => opts.selfUrl as string) } : {}),
    ...(opts.nextUrl ? { paginator: new Paginator(() => ({ next: opts.nextUrl }) as never) } : {}),
  };
  const document = (await (Object.keys(documentLinkers).length > 0
    ? serializer.serialize(views, { linkers: documentLinkers } as never)
    : serializer.serialize(views))) as Record<string, unknown>;
  if (opts.meta) document.meta = opts.meta;
  dropLinksOfEmptyRelationships(document.data);
  return document;
}

/**
 * A to-one relationship to nobody (`data: null`, e.g. the user of a version the refresh worker
 * made) has no related resource to link to: its `links` would name a route that does not resolve.
 */
function dropLinksOfEmptyRelationships(data: unknown): void {
  for (const resource of Array.isArray(data) ? data : [data]) {
    const relationships = (resource as { relationships?: Record<string, Record<string, unknown>> } | null)
      ?.relationships;
    for (const relationship of Object.values(relationships ?? {})) {
      if (relationship.data === null) delete relationship.links;
    }
  }
}
