import dns, { type LookupAddress } from 'node:dns';
import { lookup } from 'node:dns/promises';
import net, { type LookupFunction } from 'node:net';

/**
 * The SSRF guard. A webhook is only ever sent to a global unicast address, unless its exact
 * `host:port` is allow-listed (WEBHOOK_ALLOW_PRIVATE). Checked when an endpoint is registered and
 * again when connecting, on the address actually dialled, so a DNS change cannot slip past it.
 *
 * The rule is an allow rule, so that forms nobody thought of are refused too:
 * - IPv4: anything but the special-purpose blocks below (none of them is global unicast).
 * - IPv6: only 2000::/3 (global unicast), minus the blocks in it that are not ordinary hosts or
 *   that embed an IPv4 address a relay would reach (Teredo, 6to4). Everything outside 2000::/3 is
 *   refused, which covers loopback, unique-local, link-local, multicast, and every form that
 *   embeds an IPv4 address: IPv4-compatible ::/96, IPv4-mapped ::ffff:0:0/96, SIIT
 *   ::ffff:0:0:0/96, NAT64 64:ff9b::/96 and 64:ff9b:1::/48. Addresses with a zone id are refused.
 */
const ipv4NotGlobal = new net.BlockList();
for (const [prefix, bits] of [
  ['0.0.0.0', 8], // "this network", 0.0.0.0
  ['10.0.0.0', 8], // private
  ['100.64.0.0', 10], // CGNAT
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local, cloud metadata (169.254.169.254)
  ['172.16.0.0', 12], // private
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // documentation
  ['192.88.99.0', 24], // 6to4 relay anycast (deprecated)
  ['192.168.0.0', 16], // private
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // documentation
  ['203.0.113.0', 24], // documentation
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
] as const) {
  ipv4NotGlobal.addSubnet(prefix, bits, 'ipv4');
}

const ipv6GlobalUnicast = new net.BlockList();
ipv6GlobalUnicast.addSubnet('2000::', 3, 'ipv6');

const ipv6NotGlobal = new net.BlockList();
for (const [prefix, bits] of [
  ['2001::', 23], // IETF protocol assignments: Teredo 2001::/32 (embeds IPv4), benchmarking, ORCHID...
  ['2001:db8::', 32], // documentation
  ['2002::', 16], // 6to4: embeds an IPv4 address
  ['3fff::', 20], // documentation
  ['5f00::', 16], // SRv6 segment identifiers
] as const) {
  ipv6NotGlobal.addSubnet(prefix, bits, 'ipv6');
}

/**
 * The one classification, used at registration and at dial time: true only for a global unicast
 * IPv4 or IPv6 address. Anything else (private, loopback, link-local, an embedded IPv4 form,
 * a zone id, not an IP address at all) is false.
 */
export function isPublicAddress(address: string): boolean {
  if (address.includes('%')) return false; // a zone id: only scoped (link-local) addresses have one
  switch (net.isIP(address)) {
    case 4:
      return !ipv4NotGlobal.check(address, 'ipv4');
    case 6:
      // Separate lists per family: a BlockList also matches IPv4 rules against IPv4-mapped IPv6.
      return ipv6GlobalUnicast.check(address, 'ipv6') && !ipv6NotGlobal.check(address, 'ipv6');
    default:
      return false;
  }
}

/**
 * Why a destination is refused. The message names neither the address nor anything about what
 * listens there: a partner learns only that the destination is not allowed.
 */
export class BlockedDestination extends Error {
  readonly code = 'ERR_WEBHOOK_DESTINATION_REFUSED';
  constructor() {
    super('destination not allowed');
  }
}

/** The host of a URL without IPv6 brackets: what DNS or the IP classification takes. */
const bare = (hostname: string) => hostname.replace(/^\[|\]$/g, '');

/** `host:port` of a URL as the allow-list spells it (host as WHATWG URL normalises it). */
export function destinationOf(url: URL): string {
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  return `${url.hostname}:${port}`;
}

/**
 * One WEBHOOK_ALLOW_PRIVATE entry (`127.0.0.1:4000`, `[::1]:4000`, `localhost:4000`) in the form
 * destinationOf() gives, or null if it is not `host:port`. The port is required, so allowing a
 * local receiver does not also open the host's other ports (Redis, PostgreSQL, the API).
 */
export function parseAllowEntry(entry: string): string | null {
  const match = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(entry.trim());
  if (!match) return null;
  const port = Number(match[2]);
  if (port < 1 || port > 65535) return null;
  let hostname: string;
  try {
    hostname = new URL(`http://${match[1]}/`).hostname;
  } catch {
    return null;
  }
  return `${hostname}:${port}`;
}

export function isAllowListed(url: URL, allowed: readonly string[]): boolean {
  return allowed.includes(destinationOf(url));
}

/** The IP address of a URL whose host is an IP literal, else null (a name to resolve). */
export function ipLiteral(url: URL): string | null {
  const host = bare(url.hostname);
  return net.isIP(host) ? host : null;
}

export type Resolver = (hostname: string, options: dns.LookupAllOptions) => Promise<LookupAddress[]>;

/**
 * Throws BlockedDestination unless the URL is allow-listed or every address it resolves to is
 * public. DNS failures are thrown as they are.
 */
export async function assertAllowedDestination(
  url: URL,
  allowed: readonly string[],
  resolve: Resolver = lookup,
): Promise<void> {
  if (isAllowListed(url, allowed)) return;
  const literal = ipLiteral(url);
  const addresses = literal ? [literal] : (await resolve(url.hostname, { all: true })).map((a) => a.address);
  if (addresses.length === 0 || !addresses.every(isPublicAddress)) throw new BlockedDestination();
}

/**
 * A `lookup` for http.request: the check at connect time. Unless `guard` is false (an
 * allow-listed destination), every address of the answer must be public, or the connection fails
 * with BlockedDestination before any socket is opened.
 */
export function guardedLookup(guard = true, resolve: Resolver = lookup): LookupFunction {
  return (hostname, options, callback) => {
    // Never ask for IPv4-mapped answers: they would be refused even for a public IPv4 host.
    const hints = (options.hints ?? 0) & ~dns.V4MAPPED;
    resolve(hostname, { family: options.family, hints, all: true })
      .then((addresses) => {
        if (addresses.length === 0)
          throw Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' });
        if (guard && !addresses.every((a) => isPublicAddress(a.address))) throw new BlockedDestination();
        if ((options as { all?: boolean }).all) {
          (callback as (err: null, all: LookupAddress[]) => void)(null, addresses);
        } else {
          callback(null, addresses[0]!.address, addresses[0]!.family);
        }
      })
      .catch((err) => callback(err, '', 4));
  };
}
