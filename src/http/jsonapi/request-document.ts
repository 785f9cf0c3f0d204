// Small helpers for reading already schema-validated JSON:API request documents.
import { ApiError, conflict } from '../../errors/api-error.js';

export interface ResourceDocument<A = Record<string, unknown>> {
  data: {
    type: string;
    id?: string;
    attributes?: A;
    relationships?: Record<string, { data: { type: string; id: string } | null }>;
  };
}

/**
 * 409 when the document's type (or, for PATCH, id) is not the one the URL names (JSON:API §crud).
 * Without `id` the document creates a resource: ids are assigned here, and JSON:API requires a 403
 * for a client-generated id the server does not support (silently ignoring it would surprise).
 */
export function assertResource<Body extends { data: { type: string; id?: string } }>(
  body: Body,
  type: string,
  id?: string,
): Body['data'] {
  const data = body.data;
  if (data.type !== type) {
    throw conflict('type_mismatch', `data.type must be "${type}".`, { pointer: '/data/type' });
  }
  if (id === undefined && data.id !== undefined) {
    throw new ApiError({
      status: 403,
      code: 'client_generated_id',
      title: 'Forbidden',
      detail: 'This server assigns resource ids; omit data.id when creating.',
      source: { pointer: '/data/id' },
    });
  }
  if (id !== undefined && data.id !== id) {
    throw conflict('id_mismatch', 'data.id must equal the id in the URL.', { pointer: '/data/id' });
  }
  return data;
}

/** Reads a to-one relationship, accepting aliases (API.md §4: `auth_client` for `auth-client`). */
export function relationshipId(
  data: ResourceDocument['data'],
  names: string[],
  expectedType: string,
): { id: string; pointer: string } | undefined {
  for (const name of names) {
    const rel = data.relationships?.[name];
    if (rel?.data) {
      const pointer = `/data/relationships/${name}/data`;
      if (rel.data.type !== expectedType) {
        throw conflict('type_mismatch', `The ${name} relationship must point at a ${expectedType}.`, {
          pointer: `${pointer}/type`,
        });
      }
      return { id: rel.data.id, pointer };
    }
  }
  return undefined;
}
