// Extra parameters an oauth2 auth-client adds to its requests (API.md §10.1): `authorize_params` on
// the authorization URL, `token_params` on code and client-credentials token requests,
// `refresh_params` on refresh requests. Providers need them (`audience`, `resource`,
// `access_type=offline`, `duration=permanent`), but none may replace a parameter the protocol sets
// itself: that would let a client setting change the grant, the code, the PKCE verifier or where the
// user is sent back to.

/** The three members and where they are sent. */
export const EXTRA_PARAM_MEMBERS = ['authorize_params', 'token_params', 'refresh_params'] as const;
export type ExtraParamMember = (typeof EXTRA_PARAM_MEMBERS)[number];

/** `{name: value}`, values are strings (the JSON Schema checked the shape). */
export type ExtraParams = Record<string, string>;

/**
 * Every parameter RFC 6749 (authorization and token requests, client authentication), RFC 7636 (PKCE)
 * and RFC 7009 (revocation) define for the requests this service makes. One list for all three
 * members: a name the protocol owns in one request is never a provider's extra in another. `scope`
 * is here because the client's `scopes` (or a session's) sets it.
 */
export const PROTOCOL_PARAMS: ReadonlySet<string> = new Set([
  'grant_type',
  'code',
  'refresh_token',
  'client_id',
  'client_secret',
  'client_assertion',
  'client_assertion_type',
  'redirect_uri',
  'code_verifier',
  'code_challenge',
  'code_challenge_method',
  'response_type',
  'state',
  'scope',
  'token',
  'token_type_hint',
]);

export interface ParamProblem {
  code: string;
  detail: string;
  pointer: string;
}

/** A problem for every protocol parameter `params` tries to set. */
export function extraParamProblems(params: ExtraParams, pointer: string): ParamProblem[] {
  return Object.keys(params)
    .filter((name) => PROTOCOL_PARAMS.has(name))
    .map((name) => ({
      code: 'reserved_parameter',
      detail: `${name} is set by the OAuth protocol itself and cannot be given in ${pointer.split('/').pop()}.`,
      pointer: `${pointer}/${name.replace(/~/g, '~0').replace(/\//g, '~1')}`,
    }));
}

/** A stored JSON column back as parameters (anything else than string values is dropped). */
export function toExtraParams(stored: unknown): ExtraParams {
  const params: ExtraParams = {};
  if (stored && typeof stored === 'object' && !Array.isArray(stored)) {
    for (const [name, value] of Object.entries(stored)) if (typeof value === 'string') params[name] = value;
  }
  return params;
}
