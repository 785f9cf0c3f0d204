// The three shapes of successful response, so handlers stay a few lines long.
import { buildDocument, type IncludedSet, type ResourceSpec } from './jsonapi/document-builder.js';
import { selfLink } from './jsonapi/links.js';
import type { Page } from './jsonapi/pagination.js';
import type { BaseContext, HttpResult } from './route-table.js';

type Ctx = Pick<BaseContext, 'req' | 'links' | 'query'>;

export async function resourceResult<D>(
  spec: ResourceSpec<D>,
  item: D,
  ctx: Ctx,
  included?: Record<string, IncludedSet>,
): Promise<HttpResult> {
  const document = await buildDocument(spec, item, {
    links: ctx.links,
    fields: ctx.query.fields,
    ...(included ? { included } : {}),
  });
  return { status: 200, document };
}

/** 201 with `Location` equal to the new resource's `links.self` (JSON:API §crud-creating). */
export async function createdResult<D>(spec: ResourceSpec<D>, item: D, ctx: Ctx): Promise<HttpResult> {
  const document = await buildDocument(spec, item, { links: ctx.links });
  return { status: 201, document, headers: { Location: ctx.links.url(spec.selfPath(item)) } };
}

export async function collectionResult<D>(
  spec: ResourceSpec<D>,
  page: Page<D> | D[],
  ctx: Ctx,
  extras: {
    included?: Record<string, IncludedSet> | undefined;
    /** Top-level `meta` of the document, when there is something to say about the whole page. */
    meta?: Record<string, unknown> | undefined;
  } = {},
): Promise<HttpResult> {
  const { included, meta } = extras;
  const items = Array.isArray(page) ? page : page.items;
  const nextCursor = Array.isArray(page) ? undefined : page.nextCursor;
  const document = await buildDocument(spec, items, {
    links: ctx.links,
    fields: ctx.query.fields,
    selfUrl: selfLink(ctx.links, ctx.req),
    nextUrl: nextCursor && selfLink(ctx.links, ctx.req, { 'page[cursor]': nextCursor }),
    ...(included ? { included } : {}),
    ...(meta ? { meta } : {}),
  });
  return { status: 200, document };
}
