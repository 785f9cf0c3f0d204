// A raw HTTP client for the security suites: exact bytes (no URL normalisation of dot segments or
// escapes), duplicate headers, keep-alive connections to an app listening on a loopback port.
import http from 'node:http';
import type { HttpResponseLike } from './jsonapi-schema.js';

export interface RawRequest {
  method: string;
  /** Sent byte for byte (printable ASCII): no normalisation of dot segments or escapes. */
  path: string;
  /** An array value sends the header once per element. */
  headers?: Record<string, string | string[]>;
  body?: string | Buffer;
}

export interface RawResponse extends HttpResponseLike {
  headers: Record<string, string | undefined>;
  text: string;
}

export function sendRaw(port: number, agent: http.Agent, r: RawRequest): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = http.request({ host: '127.0.0.1', port, method: r.method, path: r.path, agent });
    for (const [name, value] of Object.entries(r.headers ?? {})) req.setHeader(name, value);
    req.on('response', (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const headers: Record<string, string | undefined> = {};
        for (const [k, v] of Object.entries(res.headers)) headers[k] = Array.isArray(v) ? v.join(', ') : v;
        let body: unknown;
        try {
          body = text === '' ? undefined : (JSON.parse(text) as unknown);
        } catch {
          body = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers, text, body });
      });
    });
    // A server that answers early (413) may close while a large body is still being written.
    req.on('error', (err) => {
      if (!answered) reject(err);
    });
    if (r.body !== undefined) {
      if (!req.hasHeader('content-length')) req.setHeader('Content-Length', Buffer.byteLength(r.body));
      req.end(r.body);
    } else req.end();
  });
}
