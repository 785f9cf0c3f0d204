// GET /v2/openapi.json: the OpenAPI 3.1 description of every route (API.md §12), public so that
// tools can fetch it before they hold a key. It is plain JSON, not a JSON:API document. The
// description only changes with the code, so it is built once and served with a strong ETag:
// clients revalidate (`Cache-Control: no-cache`) and get a 304 while it is current.
import { createHash } from 'node:crypto';
import { buildOpenApiDocument } from '../../http/openapi/openapi-document.js';
import { type AnyRoute, access, route } from '../../http/route-table.js';

export const OPENAPI_PATH = '/v2/openapi.json';

/** `routes` is the whole table, this route included: it is read when the description is first asked for. */
export function openApiRoutes(routes: readonly AnyRoute[]): AnyRoute[] {
  let served: { document: unknown; etag: string } | undefined;
  const description = () => {
    if (!served) {
      const document = buildOpenApiDocument(routes);
      const etag = `"${createHash('sha256').update(JSON.stringify(document)).digest('base64url')}"`;
      served = { document, etag };
    }
    return served;
  };
  return [
    route({
      method: 'GET',
      path: OPENAPI_PATH,
      access: access.public,
      response: [{ status: 200, json: 'openapi-description' }, { status: 304 }],
      handler: async ({ req }) => {
        const { document, etag } = description();
        const headers = { ETag: etag, 'Cache-Control': 'no-cache' };
        if (matchesEtag(req.headers['if-none-match'], etag)) return { status: 304, headers };
        return { status: 200, document, headers, mediaType: 'application/json' };
      },
    }),
  ];
}

/** RFC 9110 §13.1.2: `*`, or a list of tags compared weakly (a `W/` prefix does not matter). */
function matchesEtag(ifNoneMatch: string | undefined, etag: string): boolean {
  if (ifNoneMatch === undefined) return false;
  if (ifNoneMatch.trim() === '*') return true;
  return ifNoneMatch.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag);
}
