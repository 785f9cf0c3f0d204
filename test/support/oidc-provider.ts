// A real, certified OpenID Provider (oidc-provider) on 127.0.0.1 for the authorization-code tests,
// and a browser stand-in that walks its login and consent pages the way a user's browser would:
// cookies kept, forms posted, every redirect followed by hand until one leads to our callback.
//
//   const op = await OidcTestProvider.start({ redirectUri });
//   const callbackUrl = await new TestBrowser().authorize(authorizeUrl, { redirectUri });
//   op.tokenRequests     // the parameters of every token request it answered
//   await op.introspect(accessToken)   // { active: true, … } for a live token
//   await op.close();
//
// PKCE is required for every client (a code without a matching code_verifier is refused), refresh
// tokens rotate on every use, and refresh tokens are issued for `offline_access` with prompt=consent.
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import Provider from 'oidc-provider';
import { secretMarker, usedClientSecrets } from './secrets.js';

export const OIDC_SCOPES = ['openid', 'offline_access', 'contacts:read'];

export interface OidcClient {
  clientId: string;
  clientSecret: string;
}

export class OidcTestProvider {
  /** A confidential client (client_secret_basic) and a public one (auth method none). */
  readonly confidential: OidcClient;
  readonly public: OidcClient;
  /** Parameters of each authorization request and token request the provider handled. */
  readonly authorizationRequests: Record<string, unknown>[] = [];
  readonly tokenRequests: Record<string, unknown>[] = [];
  readonly #sockets = new Set<Socket>();

  private constructor(
    readonly issuer: string,
    readonly server: Server,
  ) {
    const secret = secretMarker('client-secret');
    usedClientSecrets.add(secret);
    this.confidential = { clientId: `confidential-${randomBytes(6).toString('hex')}`, clientSecret: secret };
    this.public = { clientId: `public-${randomBytes(6).toString('hex')}`, clientSecret: '' };
  }

  static async start(opts: { redirectUri: string }): Promise<OidcTestProvider> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const op = new OidcTestProvider(issuer, server);
    const common = {
      redirect_uris: [opts.redirectUri],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      scope: OIDC_SCOPES.join(' '),
    };
    const provider = new Provider(issuer, {
      clients: [
        {
          ...common,
          client_id: op.confidential.clientId,
          client_secret: op.confidential.clientSecret,
          token_endpoint_auth_method: 'client_secret_basic',
        },
        { ...common, client_id: op.public.clientId, token_endpoint_auth_method: 'none' },
      ],
      scopes: OIDC_SCOPES,
      pkce: { required: () => true },
      rotateRefreshToken: true,
      features: {
        devInteractions: { enabled: true },
        introspection: { enabled: true },
        revocation: { enabled: true },
      },
      cookies: { keys: [randomBytes(16).toString('hex')] },
      findAccount: async (_ctx: unknown, sub: string) => ({ accountId: sub, claims: async () => ({ sub }) }),
    });
    provider.use(async (ctx, next) => {
      await next();
      const params = { ...(ctx.oidc?.params ?? {}) };
      if (ctx.oidc?.route === 'authorization') op.authorizationRequests.push(params);
      if (ctx.oidc?.route === 'token') op.tokenRequests.push(params);
    });
    server.on('request', provider.callback());
    server.on('connection', (socket) => {
      op.#sockets.add(socket);
      socket.on('close', () => op.#sockets.delete(socket));
    });
    return op;
  }

  get authorizeUrl(): string {
    return `${this.issuer}/auth`;
  }

  get tokenUrl(): string {
    return `${this.issuer}/token`;
  }

  /** RFC 7662 introspection of a token, as the confidential client. */
  async introspect(token: string): Promise<{ active: boolean; client_id?: string; scope?: string }> {
    const basic = Buffer.from(
      `${encodeURIComponent(this.confidential.clientId)}:${encodeURIComponent(this.confidential.clientSecret)}`,
    ).toString('base64');
    const res = await fetch(`${this.issuer}/token/introspection`, {
      method: 'POST',
      headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token }).toString(),
    });
    return (await res.json()) as { active: boolean };
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.#sockets) socket.destroy();
    await closed;
  }
}

interface PageResponse {
  status: number;
  location: string | undefined;
  text: string;
}

/** Just enough of a browser: a cookie jar and manual redirects. */
export class TestBrowser {
  readonly #cookies = new Map<string, string>();

  async request(url: string, form?: Record<string, string>): Promise<PageResponse> {
    const headers: Record<string, string> = {};
    if (this.#cookies.size > 0)
      headers.cookie = [...this.#cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    if (form) headers['content-type'] = 'application/x-www-form-urlencoded';
    const res = await fetch(url, {
      method: form ? 'POST' : 'GET',
      headers,
      redirect: 'manual',
      ...(form ? { body: new URLSearchParams(form).toString() } : {}),
    });
    for (const cookie of res.headers.getSetCookie()) {
      const pair = cookie.split(';')[0] ?? '';
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (value === '') this.#cookies.delete(name);
      else this.#cookies.set(name, value);
    }
    const location = res.headers.get('location');
    return {
      status: res.status,
      location: location ? new URL(location, url).toString() : undefined,
      text: await res.text(),
    };
  }

  /**
   * Follows an authorization URL through the provider's login and consent pages (signing in as
   * `login`, then approving or denying) until a redirect leads to `redirectUri`; returns that URL.
   */
  async authorize(
    authorizeUrl: string,
    opts: { redirectUri: string; login?: string; decision?: 'approve' | 'deny' },
  ): Promise<string> {
    let url = authorizeUrl;
    for (let step = 0; step < 15; step++) {
      const res = await this.request(url);
      if (res.location?.startsWith(opts.redirectUri)) return res.location;
      if (res.status >= 300 && res.status < 400 && res.location) {
        url = res.location;
        continue;
      }
      const prompt = /name="prompt" value="(login|consent)"/.exec(res.text)?.[1];
      const action = /<form[^>]*action="([^"]+)"/.exec(res.text)?.[1]?.replaceAll('&amp;', '&');
      if (res.status !== 200 || !prompt || !action)
        throw new Error(`unexpected provider page ${res.status} at ${url}: ${res.text.slice(0, 300)}`);
      const formUrl = new URL(action, url).toString();
      let next: PageResponse;
      if (prompt === 'login') {
        next = await this.request(formUrl, { prompt: 'login', login: opts.login ?? 'user-1', password: 'x' });
      } else if (opts.decision === 'deny') {
        next = await this.request(`${new URL(url).origin}${new URL(url).pathname}/abort`);
      } else {
        next = await this.request(formUrl, { prompt: 'consent' });
      }
      if (next.location?.startsWith(opts.redirectUri)) return next.location;
      if (!next.location) throw new Error(`the provider did not redirect after ${prompt}: ${next.status}`);
      url = next.location;
    }
    throw new Error('the authorization did not reach the redirect URI within 15 steps');
  }
}
