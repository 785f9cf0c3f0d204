// One delivery attempt over HTTP (API.md §11): POST the stored body with the Standard Webhooks
// headers, to an address the outbound guard of token URLs allows (src/refresh/outbound-guard.ts:
// the host is resolved once, every address must be public — loopback too with
// OAUTH_ALLOW_LOOPBACK_HTTP — and the connection is pinned to the checked address). Redirects are
// never followed (node's http client does not), and one timeout bounds the whole attempt, DNS
// included. Only the status code is read; the response body is discarded.
import http from 'node:http';
import https from 'node:https';
import { OutboundBlockedError, resolveTokenEndpoint } from '../refresh/outbound-guard.js';

export type SendOutcome =
  | 'delivered'
  | 'http_error'
  | 'redirect'
  | 'timeout'
  | 'unreachable'
  | 'blocked'
  | 'internal_error';

export interface SendResult {
  outcome: SendOutcome;
  statusCode: number | null;
  /** What went wrong, for the delivery's last_error: never a header, body or secret. */
  error: string | null;
}

export interface SendRequest {
  url: string;
  body: string;
  headers: Record<string, string>;
}

export interface SenderOptions {
  timeoutMs: number;
  allowLoopback: boolean;
}

class Timeout extends Error {}

function withTimeout<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new Timeout());
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

export async function sendWebhook(request: SendRequest, opts: SenderOptions): Promise<SendResult> {
  const signal = AbortSignal.timeout(opts.timeoutMs);
  const timedOut = (): SendResult => ({
    outcome: 'timeout',
    statusCode: null,
    error: `No answer within ${opts.timeoutMs} ms.`,
  });
  let endpoint: Awaited<ReturnType<typeof resolveTokenEndpoint>>;
  try {
    endpoint = await withTimeout(
      resolveTokenEndpoint(request.url, { allowLoopback: opts.allowLoopback }),
      signal,
    );
  } catch (err) {
    if (err instanceof Timeout) return timedOut();
    if (err instanceof OutboundBlockedError) {
      // The guard speaks of token URLs, its first user; the rule is the same for webhook URLs.
      const reason = err.message.replaceAll('token URL', 'webhook URL');
      return { outcome: 'blocked', statusCode: null, error: `Not sent: ${reason}.` };
    }
    throw err;
  }
  const client = endpoint.url.protocol === 'https:' ? https : http;
  return new Promise<SendResult>((resolve) => {
    const req = client.request(
      endpoint.url,
      {
        method: 'POST',
        headers: { ...request.headers, 'content-length': String(Buffer.byteLength(request.body)) },
        lookup: endpoint.lookup,
        // A new connection per attempt: a pooled socket could outlive the address check.
        agent: false,
        signal,
      },
      (res) => {
        const status = res.statusCode ?? 0;
        res.resume();
        res.on('error', () => {});
        if (status >= 200 && status < 300) resolve({ outcome: 'delivered', statusCode: status, error: null });
        else if (status >= 300 && status < 400)
          resolve({
            outcome: 'redirect',
            statusCode: status,
            error: `HTTP ${status}: the receiver redirected; redirects are not followed.`,
          });
        else resolve({ outcome: 'http_error', statusCode: status, error: `HTTP ${status}.` });
      },
    );
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (signal.aborted) return resolve(timedOut());
      const code = typeof err.code === 'string' && /^[A-Z_]{2,32}$/.test(err.code) ? ` (${err.code})` : '';
      resolve({
        outcome: 'unreachable',
        statusCode: null,
        error: `The receiver could not be reached${code}.`,
      });
    });
    req.end(request.body);
  });
}
