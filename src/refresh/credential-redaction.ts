// Removes credentials from text an OAuth provider wrote (error codes and descriptions), before it
// is stored in a secret's `error` or returned in an error (API.md §7). Providers have been seen
// echoing the request's Authorization header or body, so two kinds of rule apply:
//
// 1. Known values: the credentials this request carried (client secret, refresh token, access
//    token, `client_id:client_secret`), each in every spelling a request or a provider may use:
//    as is, percent-encoded, form-encoded, Base64, Base64url, Base64 without padding and
//    percent-encoded Base64; compared without regard to letter case.
// 2. Credential shapes, for values the service never held (another token, an id_token):
//    - the value after an authentication scheme (Basic, Bearer, … any registered one) or after
//      `Authorization:`/`Proxy-Authorization:`;
//    - the value of a parameter named like a credential (`client_secret=`, `"refresh_token":`, …);
//    - JWTs (JWS/JWE compact serialisation: "eyJ…" segments joined by dots);
//    - random-looking runs: 16 or more token characters (12 or more of them letters and digits) that
//      switch between lower case, upper case and digits at least 3 times in 10 (more than 1 in 4
//      when letters and digits are mixed), the way random Base64, Base64url, hex and UUIDs do and
//      words, CamelCase names, snake_case codes, host names, paths and numbers do not.
// A value that is a single plain word (letters, at most one leading capital) after a scheme or a
// `name:` is left alone: "Basic authentication failed" and "Bearer token" are prose.
export const REDACTED = '[redacted]';

/** Every spelling of one credential that is worth looking for. */
function spellingsOf(value: string): string[] {
  const b64 = Buffer.from(value, 'utf8').toString('base64');
  const forms = [
    value,
    encodeURIComponent(value),
    // application/x-www-form-urlencoded as URLSearchParams writes it (space → "+") …
    new URLSearchParams({ v: value }).toString().slice(2),
    // … and as RFC 6749 appendix B (and simple-oauth2) writes it for client_secret_basic.
    encodeURIComponent(value)
      .replace(/%20/g, '+')
      .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`),
    JSON.stringify(value).slice(1, -1),
    b64,
    b64.replace(/=+$/, ''),
    encodeURIComponent(b64),
    Buffer.from(value, 'utf8').toString('base64url'),
  ];
  return forms;
}

/**
 * The strings to remove for the credentials of one token request: each secret in every spelling,
 * and `client_id:client_secret` as client_secret_basic encodes it (raw and form-encoded).
 */
export function credentialSpellings(known: {
  clientId?: string | undefined;
  clientSecret?: string | undefined;
  tokens?: readonly (string | undefined)[];
}): string[] {
  const values: string[] = [];
  if (known.clientSecret) {
    values.push(known.clientSecret);
    if (known.clientId !== undefined) {
      const form = (s: string) => new URLSearchParams({ v: s }).toString().slice(2);
      const strict = (s: string) =>
        encodeURIComponent(s)
          .replace(/%20/g, '+')
          .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
      values.push(
        `${known.clientId}:${known.clientSecret}`,
        `${strict(known.clientId)}:${strict(known.clientSecret)}`,
        `${form(known.clientId)}:${form(known.clientSecret)}`,
      );
    }
  }
  for (const t of known.tokens ?? []) if (t) values.push(t);
  return values;
}

/** Expands raw secrets into every spelling, longest first, dropping ones too short to matter. */
function needlesFor(secrets: readonly string[]): string[] {
  const all = new Set<string>();
  for (const s of secrets) for (const f of spellingsOf(s)) if (f.length >= 4) all.add(f);
  return [...all].sort((a, b) => b.length - a.length);
}

function replaceEvery(text: string, needle: string, ignoreCase: boolean): string {
  if (!ignoreCase) return text.split(needle).join(REDACTED);
  const lower = text.toLowerCase();
  const n = needle.toLowerCase();
  let out = '';
  let from = 0;
  for (let at = lower.indexOf(n); at !== -1; at = lower.indexOf(n, from)) {
    out += text.slice(from, at) + REDACTED;
    from = at + n.length;
  }
  return out + text.slice(from);
}

/** Removes the known secrets as written (before non-ASCII characters are replaced). */
export function redactKnownExact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const needle of needlesFor(secrets)) out = replaceEvery(out, needle, false);
  return out;
}

// IANA HTTP Authentication Scheme Registry, plus schemes seen in the wild.
const SCHEMES =
  'Basic|Bearer|Digest|DPoP|HOBA|Mutual|Negotiate|NTLM|OAuth|PrivateToken|SCRAM-SHA-1|SCRAM-SHA-256|vapid|GNAP|MAC|Hawk|Token|AWS4-HMAC-SHA256|ApiKey|Key';
const TOKEN68 = '[A-Za-z0-9\\-._~+/%]+=*';
const SCHEME_VALUE = new RegExp(`\\b(${SCHEMES})( +)(${TOKEN68})`, 'gi');
const AUTHORIZATION = new RegExp(
  `\\b((?:proxy-)?authorization)(["']?\\s*[:=]\\s*["']?)([!#$%&*+.^_\`|~0-9A-Za-z/=-]+)(?:( +)(${TOKEN68}))?`,
  'gi',
);
const SCHEME_NAME = new RegExp(`^(?:${SCHEMES})$`, 'i');
const CREDENTIAL_PARAMETER =
  /\b(client_secret|refresh_token|access_token|id_token|token|password|passwd|code_verifier|client_assertion|assertion|api_?key|secret)(\s*["']?\s*)([:=])(\s*)("[^"]*"|'[^']*'|[^\s"'&,;)}\]]+)/gi;
const JWT = /\beyJ[A-Za-z0-9_-]{2,}(?:\.[A-Za-z0-9_-]*){2,4}/g;
const TOKEN_RUN = /[A-Za-z0-9\-._~+/%=]{16,}/g;

const isPlainWord = (s: string) => /^[A-Za-z]?[a-z]+$/.test(s);

function classOf(c: string): number {
  if (c >= 'a' && c <= 'z') return 0;
  if (c >= 'A' && c <= 'Z') return 1;
  return 2;
}

/** Whether a run of token characters looks like random data rather than words or names. */
export function looksRandom(run: string): boolean {
  let decoded = run;
  try {
    decoded = decodeURIComponent(run);
  } catch {
    // Not valid percent-encoding: judge it as written.
  }
  const alnum = decoded.replace(/[^A-Za-z0-9]/g, '');
  if (alnum.length < 12) return false;
  let switches = 0;
  for (let i = 1; i < alnum.length; i += 1) {
    if (classOf(alnum[i] as string) !== classOf(alnum[i - 1] as string)) switches += 1;
  }
  const ratio = switches / (alnum.length - 1);
  // Hex (one case of letters, and digits) switches less often than Base64; digits mixed into
  // letters are themselves a sign of generated data, so the bar is lower for them.
  const mixed = /[0-9]/.test(alnum) && /[A-Za-z]/.test(alnum);
  return ratio >= 0.3 || (mixed && ratio > 0.25);
}

/** Applies the shape rules to printable ASCII text. */
export function redactCredentialShapes(text: string): string {
  return text
    .replace(JWT, REDACTED)
    .replace(AUTHORIZATION, (_m, name: string, sep: string, first: string, gap = '', value = '') => {
      // "Authorization: <scheme> <credentials>" (any scheme name, registered or not) …
      const schemeLike =
        SCHEME_NAME.test(first) || (/^[A-Za-z][A-Za-z0-9-]{0,31}$/.test(first) && !looksRandom(first));
      if (value && schemeLike) return `${name}${sep}${first}${gap}${REDACTED}`;
      // … or "Authorization: <credentials>"; a lone word after a colon is prose.
      const keep = isPlainWord(first) && !sep.includes('=');
      return `${name}${sep}${keep ? first : REDACTED}${gap}${value}`;
    })
    .replace(SCHEME_VALUE, (m, scheme: string, gap: string, value: string) =>
      isPlainWord(value) ? m : `${scheme}${gap}${REDACTED}`,
    )
    .replace(CREDENTIAL_PARAMETER, (m, name: string, q: string, sep: string, sp: string, value: string) => {
      // Already redacted by an earlier rule (the value pattern stops before its closing bracket).
      if (value.startsWith(REDACTED.slice(0, -1))) return m;
      // "name: word" is prose ("token: expired"); "name=value" and quoted values are data.
      if (sep === ':' && !q.includes('"') && !q.includes("'") && isPlainWord(value)) return m;
      const quote = value.startsWith('"') || value.startsWith("'") ? value[0] : '';
      return `${name}${q}${sep}${sp}${quote}${REDACTED}${quote}`;
    })
    .replace(TOKEN_RUN, (run) => {
      // A sentence's full stop is not part of the run.
      const core = run.replace(/\.+$/, '');
      return looksRandom(core) ? REDACTED + run.slice(core.length) : run;
    });
}

/** Both kinds of rule on printable ASCII text (the known values without regard to case). */
export function redactCredentials(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const needle of needlesFor(secrets)) {
    // Non-ASCII spellings were handled before the text was reduced to ASCII.
    if (/^[\x20-\x7E]*$/.test(needle)) out = replaceEvery(out, needle, true);
  }
  return redactCredentialShapes(out);
}
