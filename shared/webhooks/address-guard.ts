import type { LookupAddress } from 'node:dns';
import { lookup } from 'node:dns/promises';
import net, { type LookupFunction } from 'node:net';

/**
 * The SSRF guard: webhook URLs must not reach loopback, private, link-local (cloud metadata at
 * 169.254.169.254), CGNAT, multicast or unspecified addresses, unless the host is explicitly
 * allowed (WEBHOOK_ALLOW_PRIVATE). Checked when an endpoint is registered and again when
 * connecting, on the address actually dialled, so a DNS change cannot slip past it.
 */
const blocked = new net.BlockList();
for (const [prefix, bits] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  blocked.addSubnet(prefix, bits, 'ipv4');
}
for (const [prefix, bits] of [
  ['::', 128],
  ['64:ff9b::', 96], // NAT64: embeds an IPv4 address, possibly a private one
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  blocked.addSubnet(prefix, bits, 'ipv6');
}

export function isPrivateAddress(address: string): boolean {
  const family = net.isIP(address);
  if (family === 4) return blocked.check(address, 'ipv4');
  if (family === 6) {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
    if (mapped) return blocked.check(mapped[1]!, 'ipv4');
    return blocked.check(address, 'ipv6');
  }
  return true; // not an IP at all: refuse rather than guess
}

export class BlockedAddress extends Error {
  constructor(host: string, address: string) {
    super(`${host} resolves to ${address}, a private or loopback address`);
  }
}

const bare = (host: string) => host.replace(/^\[|\]$/g, '').toLowerCase();

/** Resolves `host` and throws BlockedAddress if any address is private and the host not allowed. */
export async function assertPublicHost(host: string, allowedHosts: readonly string[]): Promise<void> {
  const name = bare(host);
  if (allowedHosts.includes(name)) return;
  const addresses = net.isIP(name) ? [{ address: name }] : await lookup(name, { all: true });
  for (const { address } of addresses) {
    if (isPrivateAddress(address)) throw new BlockedAddress(name, address);
  }
}

/** A `lookup` for http.request that refuses private answers: the check at connect time. */
export function guardedLookup(allowedHosts: readonly string[]): LookupFunction {
  return (hostname, options, callback) => {
    lookup(hostname, { ...options, all: true })
      .then((addresses) => {
        if (!allowedHosts.includes(bare(hostname))) {
          const bad = addresses.find((a) => isPrivateAddress(a.address));
          if (bad) throw new BlockedAddress(hostname, bad.address);
        }
        if ((options as { all?: boolean }).all) {
          (callback as (err: null, all: LookupAddress[]) => void)(null, addresses);
        } else {
          callback(null, addresses[0]!.address, addresses[0]!.family);
        }
      })
      .catch((err) => callback(err, '', 4));
  };
}
