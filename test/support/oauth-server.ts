// A real OAuth2 token endpoint (RFC 6749 §6, refresh_token grant) on 127.0.0.1 for the refresh
// tests: a small node:http server rather than oauth2-mock-server, because the tests need to steer
// failures precisely and count what the provider saw.
//
//   const provider = await OAuthTestServer.start();
//   const { accessToken, refreshToken } = provider.grant();     // a valid grant
//   provider.set({ rotate: false, latencyMs: 300 });            // change behaviour at any time
//   provider.callsFor(refreshToken)                             // requests that carried it
//   provider.renewalsOf(refreshToken)                           // requests that renewed it
//   provider.maxConcurrent                                      // most requests in flight at once
//   await provider.close();
//
// Behaviour (all switchable between requests):
//   rotate       true: each renewal issues a new refresh token and invalidates the old one (reuse
//                → invalid_grant); false: the response has no refresh_token, the old stays valid.
//   latencyMs    delay before answering. A renewal is committed only if the client is still
//                connected when the answer is written (a client killed mid-call consumes nothing,
//                like a provider with a reuse grace period), so a retried call can still succeed.
//   hang         never answer (the client must time out).
//   fail         answer every request with { status, body?, contentType? } (5xx, 429, HTML …).
//   redirectTo   answer 302 with this Location.
//   hugeBody     answer 200 with a JSON body over 64 KiB.
//   expiresIn    expires_in of responses (null: omitted); tokenType: token_type as sent.
// revoke(refreshToken) makes a grant answer invalid_grant. Client authentication (Basic header
// or client_id/client_secret in the body) is checked; `lastAuthMethod` tells which was used.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface ProviderBehaviour {
  rotate: boolean;
  latencyMs: number;
  hang: boolean;
  fail: { status: number; body?: unknown; contentType?: string } | undefined;
  redirectTo: string | undefined;
  hugeBody: boolean;
  expiresIn: number | null;
  tokenType: string;
}

const DEFAULTS: ProviderBehaviour = {
  rotate: true,
  latencyMs: 0,
  hang: false,
  fail: undefined,
  redirectTo: undefined,
  hugeBody: false,
  expiresIn: 3600,
  tokenType: 'Bearer',
};

interface GrantStats {
  calls: number;
  renewals: number;
}

const token = (prefix: string) => `${prefix}_${randomBytes(16).toString('hex')}`;

export class OAuthTestServer {
  readonly clientId = token('client');
  readonly clientSecret = `${token('secret')}:+ &/`; // characters that need form-encoding
  behaviour: ProviderBehaviour = { ...DEFAULTS };
  totalCalls = 0;
  inFlight = 0;
  maxConcurrent = 0;
  abandoned = 0;
  lastAuthMethod: 'client_secret_basic' | 'client_secret_post' | undefined;
  /** Every Authorization header and body received, for leak checks. */
  readonly received: string[] = [];
  readonly #valid = new Set<string>();
  readonly #stats = new Map<string, GrantStats>();
  readonly #sockets = new Set<Socket>();
  #server: Server;
  #port = 0;

  private constructor() {
    this.#server = createServer((req, res) => {
      this.#handle(req, res).catch(() => res.destroy());
    });
    this.#server.on('connection', (socket) => {
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
    });
  }

  static async start(behaviour: Partial<ProviderBehaviour> = {}): Promise<OAuthTestServer> {
    const s = new OAuthTestServer();
    s.set(behaviour);
    await new Promise<void>((resolve) => s.#server.listen(0, '127.0.0.1', resolve));
    s.#port = (s.#server.address() as AddressInfo).port;
    return s;
  }

  get tokenUrl(): string {
    return `http://127.0.0.1:${this.#port}/oauth/token`;
  }

  set(behaviour: Partial<ProviderBehaviour>): void {
    this.behaviour = { ...this.behaviour, ...behaviour };
  }

  reset(): void {
    this.behaviour = { ...DEFAULTS };
    this.totalCalls = 0;
    this.maxConcurrent = this.inFlight;
    this.abandoned = 0;
  }

  /** A fresh grant whose refresh token the server accepts. */
  grant(): { accessToken: string; refreshToken: string } {
    const refreshToken = token('rt');
    this.#valid.add(refreshToken);
    return { accessToken: token('at'), refreshToken };
  }

  revoke(refreshToken: string): void {
    this.#valid.delete(refreshToken);
  }

  isValid(refreshToken: string): boolean {
    return this.#valid.has(refreshToken);
  }

  callsFor(refreshToken: string): number {
    return this.#stats.get(refreshToken)?.calls ?? 0;
  }

  renewalsOf(refreshToken: string): number {
    return this.#stats.get(refreshToken)?.renewals ?? 0;
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    for (const socket of this.#sockets) socket.destroy();
    await closed;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.totalCalls += 1;
    this.inFlight += 1;
    this.maxConcurrent = Math.max(this.maxConcurrent, this.inFlight);
    let counted = true;
    const done = () => {
      if (counted) this.inFlight -= 1;
      counted = false;
    };
    res.on('close', done);
    const body = await readBody(req);
    this.received.push(`${req.headers.authorization ?? ''}\n${body}`);
    const params = new URLSearchParams(body);
    const refreshToken = params.get('refresh_token') ?? '';
    const stats = this.#stats.get(refreshToken) ?? { calls: 0, renewals: 0 };
    stats.calls += 1;
    this.#stats.set(refreshToken, stats);
    const b = this.behaviour;
    if (b.hang) return; // the socket stays open until the client gives up or close() runs
    if (b.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, b.latencyMs));
    if (req.socket.destroyed) {
      this.abandoned += 1;
      done();
      return;
    }
    if (b.redirectTo) {
      res.writeHead(302, { Location: b.redirectTo, 'Content-Type': 'application/json' }).end('{}');
      return;
    }
    if (b.fail) {
      const payload =
        typeof b.fail.body === 'string'
          ? b.fail.body
          : JSON.stringify(b.fail.body ?? { error: 'server_error' });
      res.writeHead(b.fail.status, { 'Content-Type': b.fail.contentType ?? 'application/json' }).end(payload);
      return;
    }
    const client = this.#authenticate(req, params);
    if (!client)
      return json(res, 401, { error: 'invalid_client', error_description: 'Client authentication failed.' });
    if (params.get('grant_type') !== 'refresh_token')
      return json(res, 400, { error: 'unsupported_grant_type' });
    if (!this.#valid.has(refreshToken)) {
      return json(res, 400, {
        error: 'invalid_grant',
        error_description: 'The refresh token is invalid or was revoked.',
      });
    }
    const response: Record<string, unknown> = { access_token: token('at'), token_type: b.tokenType };
    if (b.expiresIn !== null) response.expires_in = b.expiresIn;
    if (b.rotate) {
      const next = token('rt');
      this.#valid.delete(refreshToken);
      this.#valid.add(next);
      response.refresh_token = next;
    }
    if (b.hugeBody) response.padding = 'x'.repeat(70 * 1024);
    stats.renewals += 1;
    json(res, 200, response);
  }

  #authenticate(req: IncomingMessage, params: URLSearchParams): boolean {
    const header = req.headers.authorization;
    if (header?.startsWith('Basic ')) {
      const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      // RFC 6749 §2.3.1: id and secret are form-encoded before Basic encoding.
      const formDecode = (s: string) => decodeURIComponent(s.replace(/\+/g, ' '));
      this.lastAuthMethod = 'client_secret_basic';
      return (
        formDecode(decoded.slice(0, colon)) === this.clientId &&
        formDecode(decoded.slice(colon + 1)) === this.clientSecret
      );
    }
    this.lastAuthMethod = 'client_secret_post';
    return params.get('client_id') === this.clientId && params.get('client_secret') === this.clientSecret;
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
  res.end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 64 * 1024) break;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
