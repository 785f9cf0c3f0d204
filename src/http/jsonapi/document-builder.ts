// Builds JSON:API documents with ts-japi from a declarative ResourceSpec per type.
// Serializers are assembled per request because links depend on the request's base URL and
// sparse fieldsets/includes on its query. Related data is looked up by the caller in batches
// beforehand (ts-japi's relators run one by one), so relators here only read from maps.
import japi from 'ts-japi';
import type { Links } from './links.js';
import type { ResourceType } from './resource-types.js';

const { Serializer, Relator, Linker, Paginator } = japi;

export interface RelationshipSpec<D> {
  type: ResourceType;
  id(d: D): string | null;
  /** Path of the related resource, e.g. `/v2/users/{id}`. */
  relatedPath(d: D): string;
}

export interface ResourceSpec<D> {
  type: ResourceType;
  id(d: D): string;
  /** The explicit allow-list of attributes: nothing else of the domain object is ever output. */
  attributes(d: D): Record<string, unknown>;
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

function toView<D>(spec: ResourceSpec<D>, d: D, origins: WeakMap<object, unknown>): View {
  const view: View = { id: spec.id(d), ...spec.attributes(d) };
  origins.set(view, d);
  return view;
}

function buildSerializer<D>(
  spec: ResourceSpec<D>,
  opts: DocumentOptions,
  origins: WeakMap<object, unknown>,
  depth: number,
) {
  const wanted = opts.fields?.[spec.type];
  const projection = wanted ? Object.fromEntries(wanted.map((f) => [f, 1 as const])) : null;
  const relators: Record<string, InstanceType<typeof Relator<View>>> = {};
  for (const [name, rel] of Object.entries(spec.relationships ?? {})) {
    if (wanted && !wanted.includes(name)) continue;
    const included = depth === 0 ? opts.included?.[name] : undefined;
    const relatedSerializer = included
      ? buildSerializer(included.spec, opts, origins, depth + 1)
      : new Serializer(rel.type, { version: null, projection: {} });
    relators[name] = new Relator(
      async (view: View) => {
        const d = origins.get(view) as D;
        const id = rel.id(d);
        if (id === null) return null;
        const full = included?.byId.get(id);
        return included && full !== undefined ? toView(included.spec, full, origins) : { id };
      },
      relatedSerializer,
      {
        relatedName: name,
        linkers: {
          related: new Linker((view: View) => opts.links.url(rel.relatedPath(origins.get(view) as D))),
        },
      },
    );
  }
  return new Serializer<View>(spec.type, {
    version: JSONAPI_VERSION,
    projection: projection === null ? null : (projection as never),
    relators: Object.keys(relators).length > 0 ? relators : undefined,
    linkers: { resource: new Linker((view: View) => opts.links.url(spec.selfPath(origins.get(view) as D))) },
  } as never);
}

export async function buildDocument<D>(
  spec: ResourceSpec<D>,
  data: D | D[],
  opts: DocumentOptions,
): Promise<unknown> {
  const origins = new WeakMap<object, unknown>();
  const serializer = buildSerializer(spec, opts, origins, 0);
  const views = Array.isArray(data) ? data.map((d) => toView(spec, d, origins)) : toView(spec, data, origins);
  const include = Object.keys(opts.included ?? {});
  const document = (await serializer.serialize(views, {
    include: include.length > 0 ? include : 0,
    linkers: {
      ...(opts.selfUrl ? { document: new Linker(() => opts.selfUrl as string) } : {}),
      ...(opts.nextUrl ? { paginator: new Paginator(() => ({ next: opts.nextUrl }) as never) } : {}),
    },
  } as never)) as Record<string, unknown>;
  if (opts.meta) document.meta = opts.meta;
  return document;
}
