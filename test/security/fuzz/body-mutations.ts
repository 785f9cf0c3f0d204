// Breaking a valid document against its schema: wrong types, overlong strings, NUL, unknown or
// missing members, and the checks made after the schema.

import { AUTH_SCHEMAS } from './auth-schemas.js';
import { deleteAt, getAt, type Json, setAt, type World } from './draft.js';
import { deepValue, type Rng, randomJson, UNICODE_EDGES } from './random.js';
import type { MemberSpec, SchemaSpec } from './schema-spec.js';
import { TENANCY_SCHEMAS } from './tenancy-schemas.js';
import { WEBHOOK_SCHEMAS } from './webhook-schemas.js';

export const SCHEMAS: Record<string, SchemaSpec> = {
  ...TENANCY_SCHEMAS,
  ...AUTH_SCHEMAS,
  ...WEBHOOK_SCHEMAS,
};

export const GENERIC_UNKNOWN = [
  'created_at',
  'updated_at',
  'links',
  '__proto__',
  'constructor',
  'Name',
  'name ',
  '😀',
  '\uD800',
  '',
  'TYPE',
  'x\u0000y',
];

export function wrongValueFor(spec: MemberSpec, rng: Rng): unknown {
  switch (spec.kind) {
    case 'string':
      return rng.pick([42, -1.5, true, false, null, [], ['x'], {}, { a: 'b' }]);
    case 'nullable-string':
      return rng.pick([42, true, [], ['x'], {}, { a: 'b' }]);
    case 'enum':
      return rng.pick(['nope', '', 7, null, [], {}, true].filter((v) => !spec.values?.includes(v as string)));
    case 'object':
      return rng.pick(['str', 42, true, null, [], [{}]]);
    case 'string-array':
      return rng.pick(['str', 42, {}, null, [1], [null], [[]], [{}]]);
    case 'integer':
      return rng.pick([true, null, [], {}, 1.5, -1, 'abc', '1.5', '', 2 ** 31]);
    case 'uuid':
      return rng.pick([
        42,
        null,
        [],
        {},
        true,
        'not-a-uuid',
        '',
        'g'.repeat(36),
        '12345678-1234-1234-1234-1234567890123',
      ]);
  }
}

export function tooLong(spec: MemberSpec, rng: Rng): string {
  const max = spec.max ?? 1000;
  const n = Math.min(max + 1 + rng.int(max * 3 + 1), 300_000);
  if (spec.path.at(-1) === 'email') return `${'a'.repeat(n)}@example.test`;
  // maxLength counts code points: one emoji is one.
  return rng.chance(0.5) ? 'x'.repeat(n) : '😀'.repeat(Math.min(n, 100_000));
}

export function withNul(value: unknown, rng: Rng): string {
  const s = typeof value === 'string' && value.length > 0 ? value : 'value';
  const at = rng.int(s.length + 1);
  return `${s.slice(0, at)}\u0000${s.slice(at)}`;
}

/** Every object container present in the document (for "array/scalar where an object belongs"). */
export function objectContainers(doc: Json): string[][] {
  const found: string[][] = [];
  const walk = (v: Json, path: string[]) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return;
    found.push(path);
    if (path.includes('credentials')) return;
    for (const [k, child] of Object.entries(v)) walk(child, [...path, k]);
  };
  walk(doc, []);
  return found;
}

// Definite schema violations of a valid template (any route whose body schema is described above).
export const SCHEMA_MUTATIONS: Record<string, (doc: Json, spec: SchemaSpec, rng: Rng, w: World) => Json> = {
  'unknown-member': (doc, spec, rng) => {
    const container = rng.pick(spec.closed.filter((p) => getAt(doc, p) !== undefined));
    const names = [...GENERIC_UNKNOWN, `x_${rng.hex(6)}`, ...(spec.refused?.[container.join('.')] ?? [])];
    const name = rng.pick(names.filter((n) => !(container.length === 0 && n === 'data')));
    setAt(doc, [...container, name], randomJson(rng));
    return doc;
  },
  'wrong-type': (doc, spec, rng) => {
    const m = rng.pick(spec.members.filter((x) => getAt(doc, x.path.slice(0, -1)) !== undefined));
    setAt(doc, m.path, wrongValueFor(m, rng));
    return doc;
  },
  'too-long': (doc, spec, rng) => {
    const m = rng.pick(
      spec.members.filter((x) => x.max !== undefined && getAt(doc, x.path.slice(0, -1)) !== undefined),
    );
    setAt(doc, m.path, tooLong(m, rng));
    return doc;
  },
  nul: (doc, spec, rng) => {
    const m = rng.pick(spec.members.filter((x) => x.nul && getAt(doc, x.path.slice(0, -1)) !== undefined));
    setAt(doc, m.path, withNul(getAt(doc, m.path), rng));
    return doc;
  },
  'missing-member': (doc, spec, rng) => {
    const path = rng.pick(spec.required.filter((p) => getAt(doc, p) !== undefined));
    deleteAt(doc, path);
    return doc;
  },
  'array-for-object': (doc, _spec, rng) => {
    const path = rng.pick(objectContainers(doc));
    if (path.length === 0) return [doc];
    setAt(doc, path, rng.chance(0.5) ? [getAt(doc, path)] : []);
    return doc;
  },
  'scalar-for-object': (doc, _spec, rng) => {
    const path = rng.pick(objectContainers(doc).filter((p) => p.length > 0));
    setAt(doc, path, rng.pick(['', 'object', 0, true, null]));
    return doc;
  },
  'deep-nesting': (doc, spec, rng) => {
    // Deeper than 32 levels anywhere in the document: 400 json_too_deep before any schema.
    const container = rng.pick(spec.closed.filter((p) => getAt(doc, p) !== undefined));
    setAt(doc, [...container, `deep_${rng.hex(4)}`], deepValue(rng.between(33, 400)));
    return doc;
  },
  'unicode-then-late': (doc, spec, rng, w) => {
    // Edge-case strings everywhere a string goes (they pass the schema or not), then a check made
    // after the schema that must fail: the values travel as far as the request can get.
    for (const m of spec.members) {
      if (m.kind === 'string' && getAt(doc, m.path.slice(0, -1)) !== undefined && !m.path.includes('email'))
        setAt(doc, m.path, `${rng.pick(UNICODE_EDGES)}${rng.pick(UNICODE_EDGES)}`);
    }
    rng.pick(spec.late)(doc, rng, w);
    return doc;
  },
  late: (doc, spec, rng, w) => {
    rng.pick(spec.late)(doc, rng, w);
    return doc;
  },
  specific: (doc, spec, rng, w) => {
    rng.pick(spec.specific)(doc, rng, w);
    return doc;
  },
};
