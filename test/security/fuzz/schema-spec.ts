// How a body schema is described for the fuzz: typed members, required members, closed containers
// and the checks made after the schema, with the helpers the descriptions share.

import type { Json, World } from './draft.js';
import { type Rng, UNICODE_EDGES } from './random.js';

// ---------------------------------------------------------------------------------------------
// Body schemas: typed members, required members, containers and checks made after the schema

export type MemberKind =
  | 'string'
  | 'nullable-string'
  | 'enum'
  | 'object'
  | 'string-array'
  | 'integer'
  | 'uuid';
export interface MemberSpec {
  path: string[];
  kind: MemberKind;
  max?: number;
  /** U+0000 must be refused here (it would end up in a text column, or breaks a format). */
  nul?: boolean;
  values?: string[];
}

export const A = (...p: string[]) => ['data', 'attributes', ...p];
export const NAME: MemberSpec = { path: A('name'), kind: 'string', max: 200, nul: true };

export interface SchemaSpec {
  members: MemberSpec[];
  required: string[][];
  /** Objects whose unknown members the schema refuses. */
  closed: string[][];
  /** Member names that are read-only or not accepted in a given container (joined path). */
  refused?: Record<string, string[]>;
  /** Checks made after the schema that this document must fail (one is picked). */
  late: ((doc: Json, rng: Rng, w: World) => void)[];
  /** Definite violations specific to the resource. */
  specific: ((doc: Json, rng: Rng, w: World) => void)[];
}

export const wrongType = (doc: Json) => {
  doc.data.type = `${doc.data.type}s`;
};
export const clientGeneratedId = (doc: Json, rng: Rng) => {
  doc.data.id = rng.uuid();
};
export const idMismatch = (doc: Json, rng: Rng, w: World) => {
  doc.data.id = rng.pick([rng.uuid(), w.a.tenantId, w.b.ws1.id, rng.pick(UNICODE_EDGES), '']);
};
export const CREATE_LATE = [wrongType, clientGeneratedId];
export const PATCH_LATE = [wrongType, idMismatch];
export const PATCH_REQUIRED = [['data'], ['data', 'type'], ['data', 'id']];
export const CLOSED = [[], ['data'], ['data', 'attributes']];

export const toOne = (doc: Json, name: string, type: string, id: string) => {
  doc.data.relationships ??= {};
  doc.data.relationships[name] = { data: { type, id } };
};
