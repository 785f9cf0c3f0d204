// Which URLs an auth-client may send client credentials to (API.md §3): https only, plus plain http
// to a loopback host when the operator allows it (OAUTH_ALLOW_LOOPBACK_HTTP, for tests and local
// development). A host written as an IP address is judged when the URL is written, by the outbound
// guard's own classification (API.md §7); a name is judged by the guard when the URL is used, since
// what it resolves to may change. The JSON Schema has already checked that the value is an absolute URI.
import { addressAllowed, classifyAddress, literalAddress } from '../../refresh/outbound-guard.js';

export interface UrlProblem {
  code: string;
  detail: string;
  pointer: string;
}

// WHATWG URL parsing normalises hosts ("127.1" → "127.0.0.1", "LOCALHOST" → "localhost").
function isLoopbackHost(hostname: string): boolean {
  return (
    hostname === 'localhost' || hostname === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname)
  );
}

export function urlProblems(value: string, pointer: string, allowLoopbackHttp: boolean): UrlProblem[] {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return [{ code: 'invalid_url', detail: `${pointer} must be an absolute URL.`, pointer }];
  }
  const problems: UrlProblem[] = [];
  if (url.protocol === 'http:' && isLoopbackHost(url.hostname)) {
    if (!allowLoopbackHttp) {
      problems.push({
        code: 'insecure_url',
        detail: `${pointer} must use https; plain http to a loopback host is allowed only when the operator sets OAUTH_ALLOW_LOOPBACK_HTTP=true.`,
        pointer,
      });
    }
  } else if (url.protocol !== 'https:') {
    problems.push({ code: 'insecure_url', detail: `${pointer} must be an https URL.`, pointer });
  }
  const address = literalAddress(url);
  const cls = address === undefined ? undefined : classifyAddress(address);
  // Plain http to loopback without the operator's allowance is already reported above, naming the
  // variable that allows it; the same address over https is this rule's to refuse.
  const reported = url.protocol === 'http:' && cls === 'loopback';
  if (cls !== undefined && !addressAllowed(cls, allowLoopbackHttp) && !reported) {
    problems.push({
      code: 'forbidden_address',
      detail:
        cls === 'loopback'
          ? `${pointer} names a loopback address; these are allowed only when the operator sets OAUTH_ALLOW_LOOPBACK_HTTP=true.`
          : `${pointer} names a private, link-local or otherwise non-public IP address; the service does not send credentials there.`,
      pointer,
    });
  }
  // Userinfo would put a credential into every response that shows the URL.
  if (url.username !== '' || url.password !== '') {
    problems.push({
      code: 'invalid_url',
      detail: `${pointer} must not contain a user name or password.`,
      pointer,
    });
  }
  // RFC 6749 §3.1/§3.2: endpoint URIs must not include a fragment.
  if (url.hash !== '' || value.includes('#')) {
    problems.push({ code: 'invalid_url', detail: `${pointer} must not contain a fragment.`, pointer });
  }
  return problems;
}
