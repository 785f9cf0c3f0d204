// oauth2-mock-server (a real OAuth2/OIDC server on 127.0.0.1) with the quirks the §10 tests script:
// responses without expires_in or with a short one, rotating refresh tokens that answer
// invalid_grant when reused, failing revocation, and a record of every token and revocation
// request as the provider received it (form parameters and the Authorization header).
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { OAuth2Server } from 'oauth2-mock-server';

export interface ReceivedRequest {
  params: Record<string, string>;
  authorization: string | undefined;
}

export class MockOAuthProvider {
  /** Token endpoint requests, in order. */
  readonly tokenRequests: ReceivedRequest[] = [];
  /** Revocation requests, in order. */
  readonly revocations: ReceivedRequest[] = [];
  /** Omit expires_in from token responses. */
  omitExpiresIn = false;
  /** expires_in of token responses (the server's own default when undefined). */
  expiresIn: number | undefined;
  /** Reused refresh tokens answer invalid_grant (the server issues a new one on every refresh). */
  rejectReusedRefreshTokens = true;
  /** Status the revocation endpoint answers (200 per RFC 7009). */
  revocationStatus = 200;
  readonly #usedRefreshTokens = new Set<string>();
  #reading: Promise<unknown>[] = [];

  private constructor(readonly server: OAuth2Server) {}

  static async start(): Promise<MockOAuthProvider> {
    const server = new OAuth2Server();
    await server.issuer.keys.generate('RS256');
    await server.start(0, '127.0.0.1');
    const provider = new MockOAuthProvider(server);
    // Two tokens signed in one second would otherwise be identical.
    server.service.on('beforeTokenSigning', (token) => {
      token.payload.jti = randomUUID();
    });
    server.service.on('beforeResponse', (response, req) => provider.#onToken(response, req));
    // The server does not parse revocation bodies: the form is read here, as it arrives.
    server.service.on('beforeRevoke', (response, req) => {
      const entry: ReceivedRequest = { params: {}, authorization: req.headers.authorization };
      provider.revocations.push(entry);
      provider.#reading.push(readForm(req).then((params) => Object.assign(entry.params, params)));
      response.statusCode = provider.revocationStatus;
    });
    return provider;
  }

  get url(): string {
    return this.server.issuer.url as string;
  }
  get tokenUrl(): string {
    return `${this.url}/token`;
  }
  get revocationUrl(): string {
    return `${this.url}/revoke`;
  }

  /** Token requests of one grant type. */
  requestsOf(grantType: string): ReceivedRequest[] {
    return this.tokenRequests.filter((r) => r.params.grant_type === grantType);
  }

  /** Settles when every revocation body received so far has been read. */
  async revocationsRead(): Promise<void> {
    await Promise.all(this.#reading);
  }

  close(): Promise<void> {
    return this.server.stop();
  }

  #onToken(response: { body: unknown; statusCode: number }, req: IncomingMessage) {
    const request = received(req);
    this.tokenRequests.push(request);
    const body = response.body as Record<string, unknown>;
    const used = request.params.refresh_token;
    if (request.params.grant_type === 'refresh_token' && used !== undefined) {
      if (this.rejectReusedRefreshTokens && this.#usedRefreshTokens.has(used)) {
        response.statusCode = 400;
        response.body = { error: 'invalid_grant', error_description: 'refresh token already used' };
        return;
      }
      this.#usedRefreshTokens.add(used);
    }
    if (this.omitExpiresIn) delete body.expires_in;
    else if (this.expiresIn !== undefined) body.expires_in = this.expiresIn;
  }
}

function readForm(req: IncomingMessage): Promise<Record<string, string>> {
  return new Promise((resolve) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      text += chunk;
    });
    req.on('end', () => resolve(Object.fromEntries(new URLSearchParams(text))));
    req.on('error', () => resolve({}));
  });
}

function received(req: IncomingMessage): ReceivedRequest {
  const body = (req as IncomingMessage & { body?: Record<string, unknown> }).body ?? {};
  const params: Record<string, string> = {};
  for (const [k, v] of Object.entries(body)) if (typeof v === 'string') params[k] = v;
  return { params, authorization: req.headers.authorization };
}
