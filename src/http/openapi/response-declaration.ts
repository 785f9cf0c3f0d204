// What a route answers when it succeeds, declared beside its handler in the route table. The
// OpenAPI description (openapi-document.ts) turns each declaration into a response: the resource
// object schemas of schemas/resources/ wrapped in a JSON:API document, or one of the schemas of
// schemas/responses/. test/openapi/openapi-document.test.ts fails when a route declares none.
import type { ResourceType } from '../jsonapi/resource-types.js';

/** $id of a schema in schemas/responses/ that a response's `meta` or plain JSON body follows. */
export type ResponseSchemaId = 'authcheck-result' | 'health-status' | 'openapi-description';

export type ResponseDeclaration =
  /**
   * A JSON:API document whose `data` is one resource of `type`, or with `many` a page of them.
   * 202: accepted, not done yet; `data` is what to watch (a queued webhook delivery). `etag`: the
   * response carries the resource's strong `ETag` (auth-secrets, API.md §9.3).
   */
  | { status: 200 | 201 | 202; type: ResourceType; many?: boolean; etag?: true }
  /** A JSON:API document without `data`: its `meta` follows schema `meta`. */
  | { status: 200; meta: ResponseSchemaId }
  /** Plain JSON, not a JSON:API document, following schema `json`. */
  | { status: 200; json: ResponseSchemaId }
  /** An HTML page for a browser (the OAuth callback). */
  | { status: 200 | 400; html: true }
  /** No body; a 303 sends the client to its `Location`. */
  | { status: 204 | 303 | 304 };

export const declarationsOf = (
  response: ResponseDeclaration | readonly ResponseDeclaration[] | undefined,
): readonly ResponseDeclaration[] =>
  response === undefined ? [] : Array.isArray(response) ? response : [response as ResponseDeclaration];
