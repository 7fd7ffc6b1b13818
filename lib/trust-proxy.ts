// Which peers may say who the client is: trustProxy as Express and fastify define it. Behind trusted
// proxies, X-Forwarded-For names the client (read right to left, up to the first address not
// trusted), and X-Forwarded-Proto and -Host the scheme and host it asked for. From anyone else those
// fields are ignored: a client cannot spoof its address by sending them.
import { BlockList, isIP } from 'node:net';
import { errors } from './errors.js';

/**
 * false (default): the peer is the client. true: every proxy is trusted. A number: that many hops
 * (the peer is hop 0). A list (or comma-separated string) of addresses, CIDR ranges and the names
 * 'loopback', 'linklocal' and 'uniquelocal': proxies at those addresses.
 */
export type TrustProxy = boolean | number | string | readonly string[];

/** Whether the address at this hop (0: the peer) is a proxy to believe. */
export type Trust = (address: string, hop: number) => boolean;

const PRESETS: Record<string, readonly string[]> = {
  loopback: ['127.0.0.1/8', '::1/128'],
  linklocal: ['169.254.0.0/16', 'fe80::/10'],
  uniquelocal: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'],
};

/** An IPv4 address written as IPv6 ('::ffff:10.0.0.1') is that IPv4 address. */
function plain(address: string): string {
  return address.toLowerCase().startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

export function trustOf(option: unknown): Trust | undefined {
  if (option === undefined || option === false) return undefined;
  if (option === true) return () => true;
  if (typeof option === 'number') {
    if (!Number.isInteger(option) || option < 0) throw errors.invalidOption('trustProxy', 'a boolean, a hop count, or addresses and CIDR ranges');
    const hops = option;
    return (_address, hop) => hop < hops;
  }
  const entries = typeof option === 'string' ? option.split(',') : Array.isArray(option) ? option : undefined;
  if (entries === undefined) throw errors.invalidOption('trustProxy', 'a boolean, a hop count, or addresses and CIDR ranges');
  const list = new BlockList();
  for (const raw of entries) {
    if (typeof raw !== 'string') throw errors.invalidOption('trustProxy', 'a list of address strings');
    const entry = raw.trim();
    for (const range of PRESETS[entry] ?? [entry]) add(list, range);
  }
  return (address) => {
    const a = plain(address);
    const family = isIP(a);
    return family !== 0 && list.check(a, family === 6 ? 'ipv6' : 'ipv4');
  };
}

function add(list: BlockList, range: string): void {
  const [address, bits] = range.split('/');
  const a = plain(address ?? '');
  const family = isIP(a);
  const prefix = bits === undefined ? (family === 6 ? 128 : 32) : Number(bits);
  const max = family === 6 ? 128 : 32;
  if (family === 0 || !Number.isInteger(prefix) || prefix < 0 || prefix > max || (bits !== undefined && !/^\d+$/.test(bits))) {
    throw errors.invalidOption('trustProxy', `addresses or CIDR ranges ("10.0.0.0/8", "::1"), got "${range}"`);
  }
  list.addSubnet(a, prefix, family === 6 ? 'ipv6' : 'ipv4');
}

/**
 * The addresses a request passed through, nearest first: the peer, then X-Forwarded-For from right to
 * left, as far as each hop is trusted to report the one before it.
 */
export function chain(peer: string | undefined, forwarded: string | undefined, trust: Trust | undefined): string[] {
  if (peer === undefined) return [];
  const addrs = [peer];
  if (trust === undefined || forwarded === undefined) return addrs;
  const listed = forwarded.split(',').map((s) => s.trim()).filter((s) => s !== '');
  for (let i = listed.length - 1; i >= 0; i--) {
    // The last address taken is trusted: it reports the next one.
    if (!trust(addrs[addrs.length - 1]!, addrs.length - 1)) break;
    addrs.push(listed[i]!);
  }
  return addrs;
}
