// The built-in credential schemas (API.md §8.3): the shapes `other` credentials most often take, named
// so an auth-client can say `credentials_schema: "basic_auth"` instead of writing a schema. They are
// part of the code, like the permission catalogue, and use only the keywords an inline schema may
// use (credentials-schema-rules.ts), so a client can copy one and adapt it.

export interface BuiltInCredentialSchema {
  name: string;
  title: string;
  schema: Record<string, unknown>;
}

/** A required, non-empty string member. Secrets are bounded like oauth2 tokens (16 KiB). */
const text = (description: string) => ({ type: 'string', minLength: 1, maxLength: 16384, description });

/** A closed object: exactly the named members (optional ones may be left out), all non-empty strings. */
function closedObject(
  title: string,
  required: Record<string, string>,
  optional: Record<string, string> = {},
): Record<string, unknown> {
  const properties: Record<string, unknown> = {};
  for (const [name, description] of [...Object.entries(required), ...Object.entries(optional)]) {
    properties[name] = text(description);
  }
  return { title, type: 'object', properties, required: Object.keys(required), additionalProperties: false };
}

const catalogue: BuiltInCredentialSchema[] = [
  {
    name: 'api_key',
    title: 'API key',
    schema: closedObject('API key', { api_key: 'The key, sent as the provider documents it.' }),
  },
  {
    name: 'basic_auth',
    title: 'Username and password',
    schema: closedObject('Username and password', {
      username: 'The user name (HTTP Basic or a login form).',
      password: 'The password.',
    }),
  },
  {
    name: 'bearer_token',
    title: 'Bearer token',
    schema: closedObject('Bearer token', { token: 'A long-lived token sent as "Authorization: Bearer …".' }),
  },
  {
    name: 'aws_access_key',
    title: 'AWS access key',
    schema: closedObject(
      'AWS access key',
      {
        access_key_id: 'The access key id (AKIA… or ASIA…).',
        secret_access_key: 'The secret access key.',
      },
      {
        session_token: 'The session token of temporary credentials (ASIA… keys).',
        region: 'The default region, e.g. eu-central-1.',
      },
    ),
  },
];

/** By name, in catalogue order (the order GET /v2/credential-schemas lists them). */
export const BUILT_IN_CREDENTIAL_SCHEMAS: ReadonlyMap<string, BuiltInCredentialSchema> = new Map(
  catalogue.map((s) => [s.name, s]),
);

// Built-ins are part of the code, not rows: their timestamps are those of the catalogue's current
// version (API.md §1 wants created_at/updated_at on every resource).
export const CREDENTIAL_SCHEMA_CATALOGUE_DATE = '2026-12-03T00:00:00.000Z';
