// Absolute-form request targets (RFC 9112 §3.2.2: `GET http://host/path HTTP/1.1`). A server must
// accept them, and a client must then send a Host identical to the target's authority (§3.2). When
// the two disagree, one layer (a proxy, a cache, this service) can take the request as being for
// one host while another builds links or cache keys from the other: that ambiguity is refused with
// 400 rather than resolved. When they agree, the request is served like its origin-form
// equivalent; links come from PUBLIC_URL or Host and from the parsed path (src/http/jsonapi/links.ts).
import type { NextFunction, Request, Response } from 'express';
import { badRequest } from '../errors/api-error.js';

const ABSOLUTE_FORM = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//;

/** The authority of an absolute-form target, lower-cased, without userinfo and default port. */
function targetAuthority(target: string): { scheme: string; host: string } | undefined {
  try {
    const url = new URL(target);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
    return { scheme: url.protocol, host: url.host.toLowerCase() };
  } catch {
    return undefined;
  }
}

/** The Host header in the same normal form, judged under the target's scheme (for its default port). */
function normalisedHost(host: string | undefined, scheme: string): string | undefined {
  if (!host) return undefined;
  try {
    const url = new URL(`${scheme}//${host}`);
    // Anything beyond host[:port] (a path, userinfo) means the header was not a plain authority.
    if (url.username || url.password || url.pathname !== '/' || url.search || url.hash) return undefined;
    return url.host.toLowerCase();
  } catch {
    return undefined;
  }
}

const mismatch = () =>
  badRequest(
    'host_mismatch',
    'The request target is in absolute form and names another host than the Host header. Send the ' +
      'path alone (origin form), or the same authority in both (RFC 9112 §3.2).',
  );

export function checkRequestTarget(req: Request, _res: Response, next: NextFunction): void {
  // req.url, not originalUrl: nothing has rewritten it yet at this point of the chain.
  if (!ABSOLUTE_FORM.test(req.url)) {
    next();
    return;
  }
  const target = targetAuthority(req.url);
  next(!target || normalisedHost(req.headers.host, target.scheme) !== target.host ? mismatch() : undefined);
}
