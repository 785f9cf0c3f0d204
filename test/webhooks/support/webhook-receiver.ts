// A real webhook receiver on 127.0.0.1 for the webhook tests: it verifies every request's
// signature with the `standardwebhooks` package (as an integrator's receiver would) against the
// secrets it was told, and records what it saw. Its answer is steerable per request.
//
//   const receiver = await WebhookReceiver.start();
//   receiver.trust(secret);                       // a whsec_… from create / rotate-secret
//   receiver.respond = (req) => 500;              // or { status: 302, location }, or { delayMs }
//   await receiver.waitFor((r) => r.length >= 3);
//   receiver.requests                             // every request, in arrival order
//   receiver.maxConcurrentPerId                   // most requests of one webhook-id in flight at once
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface ReceivedRequest {
  id: string;
  timestamp: string;
  body: string;
  // biome-ignore lint/suspicious/noExplicitAny: the parsed payload, checked by the tests.
  payload: any;
  /** The signature verified against one of the trusted secrets. */
  verified: boolean;
  path: string;
  contentType: string | undefined;
}

export type Answer = number | { status: number; location?: string; delayMs?: number };

export class WebhookReceiver {
  readonly requests: ReceivedRequest[] = [];
  respond: (req: ReceivedRequest, nth: number) => Answer = () => 204;
  maxConcurrentPerId = 0;
  maxConcurrent = 0;
  readonly #secrets = new Set<string>();
  readonly #inFlight = new Map<string, number>();
  #inFlightTotal = 0;
  readonly #sockets = new Set<Socket>();
  readonly #server: Server;
  #port = 0;

  private constructor() {
    this.#server = createServer((req, res) => {
      this.#handle(req).then(
        ({ answer, id }) => {
          const a = typeof answer === 'number' ? { status: answer } : answer;
          const finish = () => {
            res.writeHead(a.status, a.location ? { location: a.location } : {});
            res.end();
            this.#leave(id);
          };
          if (a.delayMs) setTimeout(finish, a.delayMs);
          else finish();
        },
        () => res.destroy(),
      );
    });
    this.#server.on('connection', (socket) => {
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
    });
  }

  static async start(): Promise<WebhookReceiver> {
    const r = new WebhookReceiver();
    await new Promise<void>((resolve) => r.#server.listen(0, '127.0.0.1', resolve));
    r.#port = (r.#server.address() as AddressInfo).port;
    return r;
  }

  get url(): string {
    return `http://127.0.0.1:${this.#port}/hooks`;
  }

  /** A URL naming the host `localhost` (for checks made when a name is resolved). */
  get localhostUrl(): string {
    return `http://localhost:${this.#port}/hooks`;
  }

  trust(secret: string): void {
    this.#secrets.add(secret);
  }

  /** Requests per webhook-id. */
  countsById(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const r of this.requests) counts.set(r.id, (counts.get(r.id) ?? 0) + 1);
    return counts;
  }

  /** Waits (bounded) until `done(requests)` holds. */
  async waitFor(done: (requests: ReceivedRequest[]) => boolean, timeoutMs = 15_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (!done(this.requests)) {
      assert.ok(
        Date.now() < until,
        `receiver: condition not met within ${timeoutMs} ms (${this.requests.length} requests)`,
      );
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async close(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  async #handle(req: IncomingMessage): Promise<{ answer: Answer; id: string }> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const header = (name: string) => {
      const v = req.headers[name];
      return Array.isArray(v) ? v[0] : v;
    };
    const id = header('webhook-id') ?? '';
    const timestamp = header('webhook-timestamp') ?? '';
    const signature = header('webhook-signature') ?? '';
    let verified = false;
    for (const secret of this.#secrets) {
      try {
        new Webhook(secret).verify(body, {
          'webhook-id': id,
          'webhook-timestamp': timestamp,
          'webhook-signature': signature,
        });
        verified = true;
        break;
      } catch {
        // not this secret
      }
    }
    const now = (this.#inFlight.get(id) ?? 0) + 1;
    this.#inFlight.set(id, now);
    this.maxConcurrentPerId = Math.max(this.maxConcurrentPerId, now);
    this.#inFlightTotal += 1;
    this.maxConcurrent = Math.max(this.maxConcurrent, this.#inFlightTotal);
    let payload: unknown;
    try {
      payload = JSON.parse(body);
    } catch {
      payload = undefined;
    }
    const received: ReceivedRequest = {
      id,
      timestamp,
      body,
      payload,
      verified,
      path: req.url ?? '',
      contentType: header('content-type'),
    };
    this.requests.push(received);
    const nth = this.requests.filter((r) => r.id === id).length;
    return { answer: this.respond(received, nth), id };
  }

  #leave(id: string): void {
    const left = (this.#inFlight.get(id) ?? 1) - 1;
    if (left > 0) this.#inFlight.set(id, left);
    else this.#inFlight.delete(id);
    this.#inFlightTotal -= 1;
  }
}
