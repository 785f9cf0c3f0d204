// The one source of test strings that must never leak, and of the patterns the suite-wide secret
// scan (test/audit/secret-scan.test.ts) looks for: every secret a test makes comes from
// `secretMarker`, whose kinds build SECRET_PATTERNS, so the scan recognises every one of them.
import { randomBytes } from 'node:crypto';
import type { HttpResponseLike } from './jsonapi-schema.js';

/** Hex digits after the kind in every marker; SECRET_PATTERNS expects exactly this many. */
export const MARKER_HEX_DIGITS = 24;

const hex = () => randomBytes(MARKER_HEX_DIGITS / 2).toString('hex');

/** A unique, greppable string that is not a secret (names, request ids, emails). */
export const marker = (kind: string) => `${kind}-${hex()}`;

/** Every kind of secret marker; the scan's pattern is built from this list. */
export const SECRET_KINDS = [
  'access',
  'refresh',
  'client-secret',
  'rotated-client-secret',
  'access-token',
  'refresh-token',
  'header-secret',
  'query-secret',
  'api-key',
  'password',
  'pin',
  'credential',
] as const;
export type SecretKind = (typeof SECRET_KINDS)[number];

/** A unique secret value (token, client secret, credential): the scan fails if one is ever stored or logged. */
export const secretMarker = (kind: SecretKind) => `${kind}-${hex()}`;

/**
 * Patterns of every secret the suite generates: secret markers, the test OAuth2 server's tokens
 * (test/support/oauth-server.ts) and API keys (src/auth/api-key-token.ts).
 */
export const SECRET_PATTERNS: readonly RegExp[] = [
  // Longest kinds first, so `access-token-…` is not tried as `access-` and given up on.
  new RegExp(
    `\\b(?:${[...SECRET_KINDS].sort((a, b) => b.length - a.length).join('|')})-[0-9a-f]{${MARKER_HEX_DIGITS}}\\b`,
    'g',
  ),
  /\b(?:at|rt)_[0-9a-f]{32}\b/g,
  /\bask_[0-9a-f]{32}_[A-Za-z0-9_-]{43}/g,
];

/** Every secret-shaped string in `text`. */
export const findSecrets = (text: string) => SECRET_PATTERNS.flatMap((re) => text.match(re) ?? []);

/** Authorization header value for HTTP Basic (EMAIL:API_KEY). */
export const basicAuth = (email: string, key: string) =>
  `Basic ${Buffer.from(`${email}:${key}`).toString('base64')}`;

/** Every client_secret the suite sends through the API helpers, for the leak scan. */
export const usedClientSecrets = new Set<string>();

/** Every response recorded by `track` (headers and body), for the leak scan. */
export const seenResponses: string[] = [];

/** Records a response for the leak scan and returns it. */
export function track<R extends HttpResponseLike & { text?: string }>(res: R): R {
  seenResponses.push(`${JSON.stringify(res.headers)}\n${res.text ?? JSON.stringify(res.body)}`);
  return res;
}

/** Names of the haystacks (responses, log lines) that contain any of `needles`. */
export function leaksOf(needles: Iterable<string>, haystacks: string[]): string[] {
  const found: string[] = [];
  for (const needle of needles) {
    const where = haystacks.findIndex((h) => h.includes(needle));
    if (where !== -1) found.push(`${needle.slice(0, 20)}… in ${haystacks[where]?.slice(0, 200)}`);
  }
  return found;
}
