// Where the service may send client credentials and refresh tokens. A token URL is
// resolved once, every address it resolves to must be public (loopback too when the operator set
// OAUTH_ALLOW_LOOPBACK_HTTP), and the connection is pinned to the checked address so that a DNS
// answer changing between the check and the connect (DNS rebinding) cannot redirect the call.
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP } from 'node:net';

export type AddressClass = 'public' | 'loopback' | 'private';

export class OutboundBlockedError extends Error {
  override name = 'OutboundBlockedError';
}

// Special-purpose ranges (IANA IPv4/IPv6 special-purpose registries) that are never "the internet".
const PRIVATE_V4: [string, number][] = [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
];
const PRIVATE_V6: [string, number][] = [
  ['::', 128],
  ['100::', 64],
  ['2001::', 23],
  ['2001:db8::', 32],
  ['2002::', 16],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
  // SIIT IPv4-translated addresses (RFC 2765, ::ffff:0:a.b.c.d) and local-use NAT64 (RFC 8215):
  // where they lead depends on a translator inside some network, so neither is "the internet".
  // (IPv4-mapped ::ffff:a.b.c.d is different: it is the IPv4 address itself, judged below.)
  ['::ffff:0:0:0', 96],
  ['64:ff9b:1::', 48],
];

const privateList = new BlockList();
for (const [net, prefix] of PRIVATE_V4) privateList.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of PRIVATE_V6) privateList.addSubnet(net, prefix, 'ipv6');
const loopbackList = new BlockList();
loopbackList.addSubnet('127.0.0.0', 8, 'ipv4');
loopbackList.addAddress('::1', 'ipv6');

/**
 * Classifies one IP address: the one rule for every outbound address check, whether a URL is
 * written (src/modules/auth-clients/token-url-policy.ts) or used (resolveTokenEndpoint below).
 * IPv4 embedded in IPv6 (mapped, well-known NAT64) is judged as that IPv4 address.
 */
export function classifyAddress(address: string): AddressClass {
  const family = isIP(address);
  if (family === 0) return 'private';
  if (family === 6) {
    const canonical = canonicalIpv6(address);
    if (canonical === undefined) return 'private';
    const embedded = embeddedIpv4(canonical);
    if (embedded) return classifyAddress(embedded);
    if (loopbackList.check(canonical, 'ipv6')) return 'loopback';
    if (privateList.check(canonical, 'ipv6')) return 'private';
    return 'public';
  }
  if (loopbackList.check(address, 'ipv4')) return 'loopback';
  if (privateList.check(address, 'ipv4')) return 'private';
  return 'public';
}

// One spelling per address ("0:0:0:0:0:ffff:0a00:0001" → "::ffff:a00:1"), as the WHATWG URL parser
// writes IPv6 hosts, so that the embedded-IPv4 patterns below see every way of writing one. A zone
// ("fe80::1%eth0") is dropped: it does not change which range the address is in.
function canonicalIpv6(address: string): string | undefined {
  try {
    return new URL(`http://[${address.split('%')[0]}]/`).hostname.slice(1, -1);
  } catch {
    return undefined;
  }
}

/**
 * The IP address a URL's host is written as, or undefined when the host is a name. The URL parser
 * has already turned every IPv4 spelling it accepts ("0x7f.1", "2130706433", "012.0.0.1", "10.1")
 * into dotted decimal, and IPv6 into its bracketed canonical form.
 */
export function literalAddress(url: URL): string | undefined {
  const host = url.hostname;
  if (host.startsWith('[')) return host.slice(1, -1);
  return isIP(host) === 4 ? host : undefined;
}

/** Whether the service may send credentials to an address of this class. */
export function addressAllowed(cls: AddressClass, allowLoopback: boolean): boolean {
  return cls === 'public' || (cls === 'loopback' && allowLoopback);
}

// ::ffff:a.b.c.d (mapped), ::a.b.c.d (deprecated compatible) and 64:ff9b::/96 (NAT64) carry an
// IPv4 address in their last 32 bits; anything else is a genuine IPv6 address.
function embeddedIpv4(address: string): string | undefined {
  const lower = address.toLowerCase();
  const m = /^(?:::ffff:|::|64:ff9b::)(?:(\d+\.\d+\.\d+\.\d+)|([0-9a-f]{1,4}):([0-9a-f]{1,4}))$/.exec(lower);
  if (!m) return undefined;
  if (m[1]) return m[1];
  const hi = Number.parseInt(m[2] as string, 16);
  const lo = Number.parseInt(m[3] as string, 16);
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}

export interface ResolvedEndpoint {
  url: URL;
  address: string;
  family: 4 | 6;
  /** A dns.lookup replacement that always answers with the checked address. */
  lookup: typeof dnsLookup;
}

export interface GuardOptions {
  allowLoopback: boolean;
  /** Injectable for tests. */
  resolve?: (host: string) => Promise<LookupAddress[]>;
}

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Checks the URL's scheme and every address its host resolves to; throws OutboundBlockedError. */
export async function resolveTokenEndpoint(tokenUrl: string, opts: GuardOptions): Promise<ResolvedEndpoint> {
  let url: URL;
  try {
    url = new URL(tokenUrl);
  } catch {
    throw new OutboundBlockedError('the token URL is not a valid URL');
  }
  if (url.username || url.password)
    throw new OutboundBlockedError('the token URL must not contain credentials');
  const host = url.hostname.toLowerCase();
  if (url.protocol === 'http:') {
    if (!opts.allowLoopback || !(LOOPBACK_NAMES.has(host) || host.endsWith('.localhost'))) {
      throw new OutboundBlockedError(
        'the token URL must use https (plain http is allowed only to loopback hosts)',
      );
    }
  } else if (url.protocol !== 'https:') {
    throw new OutboundBlockedError('the token URL must use https');
  }
  const bare = host.startsWith('[') ? host.slice(1, -1) : host;
  const addresses = isIP(bare)
    ? [{ address: bare, family: isIP(bare) }]
    : await (opts.resolve ?? resolveAll)(bare).catch((err: NodeJS.ErrnoException) => {
        throw new OutboundBlockedError(`the token URL's host could not be resolved (${err.code ?? 'error'})`);
      });
  if (addresses.length === 0) throw new OutboundBlockedError("the token URL's host has no address");
  for (const a of addresses) {
    const cls = classifyAddress(a.address);
    if (!addressAllowed(cls, opts.allowLoopback)) {
      throw new OutboundBlockedError(`the token URL's host resolves to a non-public address (${cls})`);
    }
    // Plain http is a loopback-only allowance: a "*.localhost" name must not lead anywhere else.
    if (url.protocol === 'http:' && cls !== 'loopback') {
      throw new OutboundBlockedError('a plain http token URL must resolve to loopback addresses only');
    }
  }
  const first = addresses[0] as LookupAddress;
  const family = first.family === 6 ? 6 : 4;
  return { url, address: first.address, family, lookup: pinnedLookup(first.address, family) };
}

function resolveAll(host: string): Promise<LookupAddress[]> {
  return new Promise((resolve, reject) => {
    dnsLookup(host, { all: true, verbatim: true }, (err, addresses) =>
      err ? reject(err) : resolve(addresses),
    );
  });
}

function pinnedLookup(address: string, family: 4 | 6): typeof dnsLookup {
  // net.connect calls lookup with { all: true } when autoSelectFamily is on (Node 20 default).
  const pinned = (_host: string, options: unknown, callback?: unknown) => {
    const cb = (typeof options === 'function' ? options : callback) as (...args: unknown[]) => void;
    const all = typeof options === 'object' && options !== null && (options as { all?: boolean }).all;
    if (all) cb(null, [{ address, family }]);
    else cb(null, address, family);
  };
  return pinned as unknown as typeof dnsLookup;
}
