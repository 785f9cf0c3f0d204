// Violations of the body: syntax (not JSON, truncated, too deep, too large…) and schema.
import { SCHEMA_MUTATIONS, SCHEMAS } from './body-mutations.js';
import { bodyPlaceholder, type Violation } from './draft.js';
import { deepArray, deepObject } from './random.js';
import type { SchemaSpec } from './schema-spec.js';

export const NOT_JSON = [
  'hello',
  '<xml/>',
  'data=1',
  "{'data':1}",
  '{data:1}',
  'NaN',
  'undefined',
  '{"a":1,}',
  '[1,]',
  '{"a":01}',
  '{"a":"\u0001"}',
  '{"a":1}}',
  '}{',
  '{"a":1\u0000}',
  ' ',
  '\uFEFF\uFEFF{}',
  '{"a":"\\uZZZZ"}',
  '{"a":"\\x41"}',
];
export const TOP_LEVEL_PRIMITIVES = ['"string"', '42', 'true', 'null', '-0', '1e999', '""'];

export const BODY_VIOLATIONS: Violation[] = [
  // --- bodies, any route
  {
    name: 'body/not-json',
    category: 'body-syntax',
    expect: [400],
    applies: () => true,
    apply: (d, rng) => {
      d.doc = undefined;
      d.raw = rng.pick(NOT_JSON);
    },
  },
  {
    name: 'body/truncated',
    category: 'body-syntax',
    expect: [400],
    applies: () => true,
    apply: (d, rng) => {
      const full = bodyPlaceholder(d);
      d.doc = undefined;
      d.raw = full.slice(0, rng.between(1, full.length - 1));
    },
  },
  {
    name: 'body/top-level-primitive',
    category: 'body-syntax',
    expect: [400],
    applies: () => true,
    apply: (d, rng) => {
      d.doc = undefined;
      d.raw = rng.pick(TOP_LEVEL_PRIMITIVES);
    },
  },
  {
    name: 'body/deep-nesting',
    category: 'body-syntax',
    expect: [400],
    applies: () => true,
    apply: (d, rng) => {
      const n = rng.chance(0.1) ? rng.between(10_000, 100_000) : rng.between(33, 2000);
      d.doc = undefined;
      d.raw = rng.chance(0.5) ? deepArray(n) : deepObject(n);
    },
  },
  {
    name: 'body/invalid-utf8',
    category: 'body-syntax',
    expect: [400],
    applies: () => true,
    apply: (d, rng) => {
      d.doc = undefined;
      d.raw = Buffer.concat([
        Buffer.from('{"data":'),
        Buffer.from(rng.pick([[0xff, 0xfe], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0x80]])),
        Buffer.from('}'),
      ]);
    },
  },
  {
    name: 'body/too-large',
    category: 'body-syntax',
    expect: [413],
    // Rare: a megabyte per request.
    applies: () => true,
    apply: (d, rng) => {
      d.doc = undefined;
      d.raw = `{"data":{"type":"x","attributes":{"name":"${'a'.repeat(1024 * 1024 + rng.int(4096))}"}}}`;
    },
  },
  // --- bodies, routes that take one
  {
    name: 'body/not-a-document',
    category: 'body-schema',
    expect: [400],
    applies: (d) => d.route.body !== undefined,
    apply: (d, rng) => {
      const doc = d.doc ?? {};
      d.doc = undefined;
      // '' is sent with Content-Length: 0: no body at all.
      d.raw = rng.pick(['[]', '[{}]', JSON.stringify([doc]), '', '{}']);
    },
  },
  ...Object.keys(SCHEMA_MUTATIONS).map(
    (mutation): Violation => ({
      name: `body/${mutation}`,
      category: 'body-schema',
      applies: (d) =>
        d.route.body !== undefined && SCHEMAS[d.route.body] !== undefined && d.doc !== undefined,
      apply: (d, rng, w) => {
        const spec = SCHEMAS[d.route.body as string] as SchemaSpec;
        d.doc = (SCHEMA_MUTATIONS[mutation] as (typeof SCHEMA_MUTATIONS)[string])(d.doc, spec, rng, w);
      },
    }),
  ),
];
