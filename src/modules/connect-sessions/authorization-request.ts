// The secrets of one authorization request (RFC 6749 §4.1.1 with PKCE, RFC 7636) and the URL that
// carries them. `state` is the credential of the public callback: 256 random bits, kept only as its
// SHA-256, so neither a database read nor a log line yields one that works. The PKCE verifier is
// kept sealed (src/crypto/envelope.ts): the code exchange needs it back.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ExtraParams } from '../auth-clients/extra-params.js';

export interface AuthorizationSecrets {
  state: string;
  stateHash: Buffer<ArrayBuffer>;
  codeVerifier: string;
  codeChallenge: string;
}

const base64url = (bytes: Buffer) => bytes.toString('base64url');

/** SHA-256 of a state as received (the lookup key of its session). */
export function hashState(state: string): Buffer<ArrayBuffer> {
  return createHash('sha256').update(state, 'utf8').digest() as Buffer<ArrayBuffer>;
}

/** Whether `state` hashes to `stored`, in constant time (a hash of the wrong length is no match). */
export function stateMatches(state: string, stored: Uint8Array): boolean {
  const hash = hashState(state);
  return hash.length === stored.length && timingSafeEqual(hash, stored);
}

export function newAuthorizationSecrets(): AuthorizationSecrets {
  const state = base64url(randomBytes(32));
  // 32 bytes → 43 base64url characters, RFC 7636 §4.1's minimum length and entropy.
  const codeVerifier = base64url(randomBytes(32));
  return {
    state,
    stateHash: hashState(state),
    codeVerifier,
    codeChallenge: base64url(createHash('sha256').update(codeVerifier, 'ascii').digest()),
  };
}

export interface AuthorizationUrlParts {
  authorizeUrl: string;
  clientId: string;
  redirectUri: string;
  scopes: readonly string[];
  state: string;
  codeChallenge: string;
  /** The client's authorize_params; names the protocol sets were refused when they were written. */
  extraParams: ExtraParams;
}

/**
 * The client's authorize_url (its own query kept) with the client's extra parameters and then the
 * protocol's, so that a protocol parameter is always the protocol's value.
 */
export function authorizationUrl(p: AuthorizationUrlParts): string {
  const url = new URL(p.authorizeUrl);
  for (const [name, value] of Object.entries(p.extraParams)) url.searchParams.set(name, value);
  const protocol: Record<string, string> = {
    response_type: 'code',
    client_id: p.clientId,
    redirect_uri: p.redirectUri,
    state: p.state,
    code_challenge: p.codeChallenge,
    code_challenge_method: 'S256',
  };
  if (p.scopes.length > 0) protocol.scope = p.scopes.join(' ');
  for (const [name, value] of Object.entries(protocol)) url.searchParams.set(name, value);
  return url.toString();
}
