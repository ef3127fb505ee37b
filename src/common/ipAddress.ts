/**
 * IP address vocabulary on Node's `net.BlockList`: CIDR membership and the private ranges, for
 * IPv4 and IPv6 alike. Block lists are built once per CIDR and kept (rule packs and profiles name
 * a handful).
 */
import { BlockList, isIP } from 'node:net';

/** RFC 1918, loopback, link-local (IMDS has its own signal), CGNAT (AKS pod ranges); IPv6 loopback, ULA, link-local. */
const PRIVATE = new BlockList();
PRIVATE.addSubnet('10.0.0.0', 8, 'ipv4');
PRIVATE.addSubnet('172.16.0.0', 12, 'ipv4');
PRIVATE.addSubnet('192.168.0.0', 16, 'ipv4');
PRIVATE.addSubnet('127.0.0.0', 8, 'ipv4');
PRIVATE.addSubnet('169.254.0.0', 16, 'ipv4');
PRIVATE.addSubnet('100.64.0.0', 10, 'ipv4');
PRIVATE.addAddress('::1', 'ipv6');
PRIVATE.addSubnet('fc00::', 7, 'ipv6');
PRIVATE.addSubnet('fe80::', 10, 'ipv6');

const MAX_CACHED = 4096;
const cidrLists = new Map<string, BlockList | null>();

/** `ipv4`, `ipv6`, or undefined when the text is not an IP address. */
export function ipFamily(ip: string): 'ipv4' | 'ipv6' | undefined {
  const v = isIP(ip);
  return v === 4 ? 'ipv4' : v === 6 ? 'ipv6' : undefined;
}

/** Whether the address is in a private range; answers are remembered (a BlockList check builds a SocketAddress). */
export function isPrivateIp(ip: string): boolean {
  let answer = privateAnswers.get(ip);
  if (answer === undefined) {
    const family = ipFamily(ip);
    answer = family !== undefined && PRIVATE.check(ip, family);
    if (privateAnswers.size >= MAX_CACHED) privateAnswers.clear();
    privateAnswers.set(ip, answer);
  }
  return answer;
}

const privateAnswers = new Map<string, boolean>();

/** Is `ip` inside `cidr` (`a.b.c.d/n`, `x::/n`, or one exact address)? False for anything malformed. */
export function ipInCidr(ip: string, cidr: string): boolean {
  const family = ipFamily(ip);
  if (!family) return false;
  let list = cidrLists.get(cidr);
  if (list === undefined) {
    list = blockListOf(cidr);
    if (cidrLists.size >= MAX_CACHED) cidrLists.clear();
    cidrLists.set(cidr, list);
  }
  return list !== null && list.check(ip, family);
}

/** Is the text one IP address or a CIDR block (`a.b.c.d/n`, `x::/n`)? */
export function isCidr(cidr: string): boolean {
  return blockListOf(cidr) !== null;
}

/**
 * A set of addresses given as CIDR blocks or single addresses (configuration: a cluster's egress
 * addresses), checked in one BlockList. Malformed entries are left out (the config check names them).
 */
export class CidrSet {
  private readonly list = new BlockList();
  readonly size: number;

  constructor(cidrs: readonly string[]) {
    let n = 0;
    for (const cidr of cidrs) {
      const slash = cidr.indexOf('/');
      const net = slash < 0 ? cidr : cidr.slice(0, slash);
      const family = ipFamily(net);
      if (!family || !isCidr(cidr)) continue;
      if (slash < 0) this.list.addAddress(net, family);
      else this.list.addSubnet(net, Number(cidr.slice(slash + 1)), family);
      n++;
    }
    this.size = n;
  }

  has(ip: string): boolean {
    const family = ipFamily(ip);
    return family !== undefined && this.list.check(ip, family);
  }
}

function blockListOf(cidr: string): BlockList | null {
  const slash = cidr.indexOf('/');
  const net = slash < 0 ? cidr : cidr.slice(0, slash);
  const family = ipFamily(net);
  if (!family) return null;
  const list = new BlockList();
  if (slash < 0) {
    list.addAddress(net, family);
    return list;
  }
  const bitsText = cidr.slice(slash + 1);
  const bits = Number(bitsText);
  if (!/^\d{1,3}$/.test(bitsText) || bits > (family === 'ipv4' ? 32 : 128)) return null;
  list.addSubnet(net, bits, family);
  return list;
}
