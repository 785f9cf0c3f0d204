// The key a client address is limited under. IPv4 addresses (also IPv4-mapped IPv6 ones) are
// limited one by one; an IPv6 client is limited by its /64, because any host is routinely handed a
// whole /64 and could otherwise rotate through addresses to escape a per-address limit.
import { isIPv4, isIPv6 } from 'node:net';

export function clientAddressKey(ip: string | undefined): string {
  if (!ip) return 'unknown';
  const address = ip.split('%')[0] ?? ip; // drop an IPv6 zone id ("fe80::1%eth0")
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  if (mapped?.[1]) return mapped[1];
  if (isIPv4(address)) return address;
  if (!isIPv6(address)) return 'unknown';
  return `${expandIPv6(address).slice(0, 4).join(':')}::/64`;
}

/** The eight 16-bit groups of an IPv6 address, lower-case, without leading zeros. */
function expandIPv6(address: string): string[] {
  const [head = '', tail] = address.toLowerCase().split('::');
  const groups = (part: string) => (part === '' ? [] : part.split(':'));
  // An embedded IPv4 tail ("::1.2.3.4") counts as two groups; it never affects the /64 prefix
  // except through padding, so it is replaced by two placeholders.
  const tailGroups = groups(tail ?? '').flatMap((g) => (g.includes('.') ? ['0', '0'] : [g]));
  const headGroups = groups(head).flatMap((g) => (g.includes('.') ? ['0', '0'] : [g]));
  const missing = tail === undefined ? 0 : 8 - headGroups.length - tailGroups.length;
  return [...headGroups, ...Array<string>(Math.max(missing, 0)).fill('0'), ...tailGroups].map((g) =>
    Number.parseInt(g, 16).toString(16),
  );
}
