// A small client for setting the benchmark up through the service's own API.
export const basicAuth = (email: string, key: string) =>
  `Basic ${Buffer.from(`${email}:${key}`).toString('base64')}`;

export interface ApiResponse {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: JSON:API documents are read ad hoc by the setup code.
  body: any;
  text: string;
}

export class Api {
  constructor(
    readonly base: string,
    readonly auth: string,
  ) {}

  async request(method: string, path: string, body?: unknown): Promise<ApiResponse> {
    const res = await fetch(`${this.base}${path}`, {
      method,
      headers: {
        Authorization: this.auth,
        Accept: 'application/vnd.api+json',
        ...(body === undefined ? {} : { 'Content-Type': 'application/vnd.api+json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined, text };
  }

  /** Like request(), but throws unless the status is the expected one. */
  async expect(status: number, method: string, path: string, body?: unknown): Promise<ApiResponse> {
    const res = await this.request(method, path, body);
    if (res.status !== status) {
      throw new Error(`${method} ${path}: expected ${status}, got ${res.status}: ${res.text.slice(0, 500)}`);
    }
    return res;
  }
}
