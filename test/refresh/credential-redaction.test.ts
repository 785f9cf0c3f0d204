// API.md §7 "nothing secret in error texts": the rule that decides what in a provider's text is
// credential-shaped. It must catch credentials the service never held (other tokens, JWTs, any
// Authorization value) and leave the words of real provider messages alone.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'mocha';
import { sanitizeProviderText } from '../../src/refresh/provider-error.js';

const clean = (text: string) => sanitizeProviderText(text, [], 2000) ?? '';

describe('refresh: credential-shaped text in provider errors (API.md §7)', () => {
  it('§7 nothing secret in error texts: real provider messages keep their words', () => {
    const messages = [
      'Token has been expired or revoked.',
      'Bad Request',
      'The refresh token is invalid or was revoked.',
      'AADSTS700082: The refresh token has expired due to inactivity. The token was issued on 2023-01-01T00:00:00.0000000Z and was inactive for 90.00:00:00.',
      'AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.',
      'expired access/refresh token',
      'Unauthorized client: client_secret_basic is not allowed for this client.',
      'unsupported_grant_type: urn:ietf:params:oauth:grant-type:jwt-bearer is not supported',
      'See https://developers.google.com/identity/protocols/oauth2#expiration for details.',
      'Basic authentication failed for the client.',
      'The Bearer token is missing.',
      'Grant type refresh_token is not allowed for oauth2_client_v2.',
      'InvalidRefreshTokenException: refresh token is not valid',
      'the_refresh_token_is_not_valid_for_this_client',
      'invalid_grant: Refresh token expired at 1700000000 (UTC), limit 7776000 seconds',
    ];
    for (const m of messages) assert.equal(clean(m), m);
  });

  it('§7 nothing secret in error texts: Authorization values of any scheme', () => {
    const token68 = randomBytes(30).toString('base64');
    for (const scheme of ['Basic', 'Bearer', 'bearer', 'DPoP', 'Negotiate', 'MAC', 'Token']) {
      const out = clean(`rejected: ${scheme} ${token68} (bad)`);
      assert.ok(!out.includes(token68), out);
      assert.match(out, new RegExp(`${scheme} \\[redacted\\]`), out);
    }
    const shortBasic = Buffer.from('ab:cd').toString('base64'); // YWI6Y2Q=
    assert.ok(!clean(`got Basic ${shortBasic}`).includes(shortBasic));
    for (const header of [
      `Authorization: Foo ${token68}`,
      `"authorization":"Custom ${token68}"`,
      `authorization=${token68}`,
      `Proxy-Authorization: ${token68}`,
    ]) {
      const out = clean(`echo ${header} end`);
      assert.ok(!out.includes(token68), out);
      assert.match(out, /end$/);
    }
  });

  it('§7 nothing secret in error texts: credential parameters, JWTs and random-looking runs', () => {
    const jwt = `eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0In0.${randomBytes(32).toString('base64url')}`;
    const cases = [
      `client_secret=abcdefgh&refresh_token=ijklmnop`,
      `{"client_secret":"opensesame","access_token":"hello"}`,
      `password: hunter2x`,
      `id_token ${jwt}`,
      `token ${randomBytes(20).toString('hex')}`,
      // Fixed values for the shape rule alone: it is a heuristic (a few random hex strings in a
      // hundred switch case too rarely to count), so a test of it must not depend on chance.
      'session 3f2b8c1e-9d4a-4e7b-8c2f-1a6d5e9b0c47',
      'value Zm9vYmFy+2Jhei9xdXV4L3NlY3JldA==',
      'value kq3_Xv9-ZpL2mN8rT4wY6bH1cJ0dF5gA',
      `value ${encodeURIComponent('Zm9vYmFy+2Jhei9xdXV4L3NlY3JldA==')}`,
      'value A3F09C7E5B1D4826E0F9B3C7D2A84E61',
    ];
    for (const c of cases) {
      const out = clean(`invalid_grant: ${c}.`);
      assert.match(out, /^invalid_grant: /, out);
      const words = c
        .split(/[\s=&:",{}]+/)
        .filter(
          (w) =>
            w.length >= 5 &&
            !/^(client_secret|refresh_token|access_token|password|id_token|token|session|value)$/.test(w),
        );
      for (const w of words) assert.ok(!out.includes(w), `${w} survived in ${out}`);
    }
  });

  it('§7 nothing secret in error texts: known credentials in every encoding, whatever the letter case', () => {
    const secret = `Sec/${randomBytes(12).toString('base64')}+ &`;
    const forms = [
      secret,
      encodeURIComponent(secret),
      encodeURIComponent(secret).toLowerCase(),
      Buffer.from(secret).toString('base64'),
      Buffer.from(secret).toString('base64url'),
    ];
    for (const f of forms) {
      const out = sanitizeProviderText(`x ${f} y`, [secret]) ?? '';
      assert.ok(!out.toLowerCase().includes(f.toLowerCase()), `${f} survived in ${out}`);
    }
    // A value removed as a known credential is not redacted a second time by the shape rules.
    const body = sanitizeProviderText(`body: client_secret=${encodeURIComponent(secret)}&x=1`, [secret]);
    assert.equal(body, 'body: client_secret=[redacted]&x=1');
  });
});
