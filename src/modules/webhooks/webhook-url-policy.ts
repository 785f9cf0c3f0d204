// Where a webhook may send events: the rules of token URLs (API.md §11 "same address rules as token
// URLs", §7), from the one implementation of them: https, plain http to loopback only when the
// operator sets OAUTH_ALLOW_LOOPBACK_HTTP, a host written as a non-public IP address refused when
// written (422 forbidden_address), no user name or password, no fragment. A host name is checked
// again when each delivery is sent (src/webhooks/webhook-sender.ts), after resolving it.
import { type UrlProblem, urlProblems } from '../auth-clients/token-url-policy.js';

export function webhookUrlProblems(url: string, allowLoopbackHttp: boolean): UrlProblem[] {
  return urlProblems(url, '/data/attributes/url', allowLoopbackHttp);
}

/** `scheme://host:port`: deliveries to one destination share its concurrency limit in the worker. */
export function destinationOf(url: string): string {
  const u = new URL(url);
  const port = u.port || (u.protocol === 'https:' ? '443' : '80');
  return `${u.protocol}//${u.hostname}:${port}`;
}
