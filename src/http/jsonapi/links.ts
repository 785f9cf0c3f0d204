// Absolute links for every document. Brackets in query strings are percent-encoded so that
// each link is a valid RFC 3986 URI (the JSON:API schema checks the `uri` format).
import type { Request } from 'express';

export interface Links {
  readonly base: string;
  /** `path` starts with "/"; query keys like "page[cursor]" are encoded. */
  url(path: string, query?: Record<string, string | undefined>): string;
}

export function createLinks(base: string): Links {
  return {
    base,
    url(path, query) {
      const pairs = Object.entries(query ?? {}).filter((e): e is [string, string] => e[1] !== undefined);
      const qs = pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
      return `${base}${path}${qs ? `?${qs}` : ''}`;
    },
  };
}

// A Host header is client input: only a plain host[:port] may flow into links.
const HOST_RE = /^[A-Za-z0-9.-]{1,253}(:\d{1,5})?$|^\[[0-9A-Fa-f:.]{2,45}\](:\d{1,5})?$/;

export function baseUrlFor(req: Request, publicUrl: string | undefined): string {
  if (publicUrl) return publicUrl;
  const host = req.headers.host;
  return `${req.protocol}://${host && HOST_RE.test(host) ? host : 'localhost'}`;
}

/** Rebuilds the request's own URL (same path and query) for `links.self` of collections. */
export function selfLink(
  links: Links,
  req: Request,
  overrides: Record<string, string | undefined> = {},
): string {
  const query: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(req.query)) if (typeof v === 'string') query[k] = v;
  const path = requestPath(req).replace(/\/+$/, '') || '/';
  return links.url(path, { ...query, ...overrides });
}

/** The path of the request target, without query; never its scheme or authority. */
function requestPath(req: Request): string {
  // originalUrl, not req.path: inside a mounted router req.path lacks the mount prefix.
  const target = req.originalUrl;
  if (target.startsWith('/')) return target.split('?')[0] ?? '/';
  // Absolute form ("http://host/path", RFC 9112 §3.2.2): the authority was checked against Host
  // (src/http/request-target.ts) and links take theirs from PUBLIC_URL or Host; only the path is used.
  try {
    return new URL(target).pathname;
  } catch {
    return '/';
  }
}
