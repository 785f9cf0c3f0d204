// Fuzz descriptions of the webhook body schemas (API.md §11).
import { A, CLOSED, CREATE_LATE, PATCH_LATE, PATCH_REQUIRED, type SchemaSpec, toOne } from './schema-spec.js';

const MEMBERS: SchemaSpec['members'] = [
  { path: A('url'), kind: 'string', max: 2048, nul: true },
  { path: A('events'), kind: 'string-array' },
  { path: A('description'), kind: 'nullable-string', max: 1000, nul: true },
  { path: ['data', 'relationships', 'workspace', 'data', 'id'], kind: 'uuid' },
];

const CLOSED_CONTAINERS = [
  ...CLOSED,
  ['data', 'relationships'],
  ['data', 'relationships', 'workspace'],
  ['data', 'relationships', 'workspace', 'data'],
];

const REFUSED = {
  'data.attributes': ['secret', 'secret_sealed', 'destination'],
  'data.relationships': ['tenant', 'deliveries'],
};

// Each breaks a rule checked after the schema: URL rules of token URLs (no loopback here: this
// configuration allows it), event types, the workspace of another tenant or none.
const SPECIFIC: SchemaSpec['specific'] = [
  (doc, rng) => {
    doc.data.attributes.url = rng.pick([
      'http://hooks.example.test/in',
      'https://user:pw@hooks.example.test/in',
      'https://hooks.example.test/in#frag',
      'ftp://hooks.example.test/in',
      'https://10.1.2.3/in',
      'https://169.254.169.254/latest/meta-data',
      'https://[fc00::1]/in',
      'not a url',
    ]);
  },
  (doc, rng) => {
    doc.data.attributes.events = rng.pick([
      ['auth_secret.nope'],
      ['*', 'ping'],
      [],
      ['AUTH_SECRET.ERROR'],
      ['all'],
    ]);
  },
  (doc, rng, w) => {
    const id = rng.pick([w.b.ws1.id, w.b.ws2.id, rng.uuid(), w.a.tenantId]);
    toOne(doc, 'workspace', 'workspace', id);
  },
  (doc) => {
    doc.data.relationships = { workspace: { data: { type: 'workspace' } } };
  },
];

export const WEBHOOK_SCHEMAS: Record<string, SchemaSpec> = {
  'webhook-create': {
    members: MEMBERS,
    required: [['data'], ['data', 'type'], ['data', 'attributes'], A('url'), A('events')],
    closed: CLOSED_CONTAINERS,
    refused: REFUSED,
    late: [
      ...CREATE_LATE,
      (doc) => {
        doc.data.relationships.workspace.data.type = 'user';
      },
    ],
    specific: SPECIFIC,
  },
  'webhook-update': {
    members: MEMBERS.slice(0, 3),
    required: PATCH_REQUIRED,
    closed: CLOSED_CONTAINERS.slice(0, 4),
    refused: REFUSED,
    late: PATCH_LATE,
    specific: SPECIFIC.map((breakIt) => (doc, rng, w) => {
      doc.data.attributes ??= {};
      breakIt(doc, rng, w);
    }),
  },
};
