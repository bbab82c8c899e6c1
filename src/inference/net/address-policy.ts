/**
 * Which addresses a server-side fetch may reach. Only public unicast addresses pass by default: loopback,
 * private, link-local (and so cloud metadata at 169.254.169.254), unique-local, unspecified, multicast,
 * carrier-grade NAT, documentation and transition ranges are refused. IPv4-mapped IPv6 (`::ffff:7f00:1`) is
 * judged as the IPv4 address it carries. An administrator's allow-list lets named internal hosts through.
 */
import ipaddr from 'ipaddr.js';

/** Hostnames that name this machine whatever DNS says (RFC 6761 `localhost` and its subdomains). */
const LOCAL_NAMES = /^(localhost|localhost\.localdomain)$|\.localhost$/i;

/** Global unicast IPv6 is 2000::/3; anything else (IPv4-compatible `::a.b.c.d`, reserved space) is refused. */
const GLOBAL_UNICAST_V6 = ipaddr.IPv6.parseCIDR('2000::/3');

export type ParsedAddress = ipaddr.IPv4 | ipaddr.IPv6;

/** Parses an IP literal (brackets allowed), unwrapping IPv4-mapped IPv6; `undefined` for a hostname. */
export function parseIpLiteral(host: string): ParsedAddress | undefined {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (!ipaddr.isValid(bare)) return undefined;
  // ipaddr.isValid accepts "1" or "0x7f.1" as IPv4; WHATWG URL has already normalised those for URLs.
  return ipaddr.process(bare);
}

/** True when `address` is a public unicast address (after unwrapping IPv4-mapped IPv6). */
export function isPublicAddress(address: ParsedAddress): boolean {
  if (address.kind() === 'ipv4') return address.range() === 'unicast';
  const v6 = address as ipaddr.IPv6;
  return v6.range() === 'unicast' && v6.match(GLOBAL_UNICAST_V6);
}

export function isLocalName(host: string): boolean {
  return LOCAL_NAMES.test(host.replace(/\.$/, ''));
}

/**
 * The `fetch.allowPrivateHosts` list: entries are hostnames (`mirror.lan`, matched exactly, case-insensitive)
 * or IP addresses / CIDR ranges (`10.0.0.5`, `10.1.0.0/16`, `fd00::/8`).
 */
export class AllowList {
  readonly #hosts = new Set<string>();
  readonly #ranges: Array<[ParsedAddress, number]> = [];

  constructor(entries: readonly string[] = []) {
    for (const raw of entries) {
      const entry = raw.trim().toLowerCase();
      if (entry === '') continue;
      if (ipaddr.isValidCIDR(entry)) {
        const [addr, bits] = ipaddr.parseCIDR(entry);
        this.#ranges.push(unwrapRange(addr, bits));
      } else if (ipaddr.isValid(entry)) {
        const addr = ipaddr.process(entry);
        this.#ranges.push([addr, addr.kind() === 'ipv4' ? 32 : 128]);
      } else {
        this.#hosts.add(entry.replace(/\.$/, ''));
      }
    }
  }

  get empty(): boolean {
    return this.#hosts.size === 0 && this.#ranges.length === 0;
  }

  allowsHost(host: string): boolean {
    return this.#hosts.has(host.toLowerCase().replace(/\.$/, ''));
  }

  allowsAddress(address: ParsedAddress): boolean {
    return this.#ranges.some(([net, bits]) => net.kind() === address.kind() && address.match(net, bits));
  }
}

/** `::ffff:10.0.0.0/104` in the allow-list means `10.0.0.0/8`, as addresses are compared unwrapped. */
function unwrapRange(addr: ParsedAddress, bits: number): [ParsedAddress, number] {
  if (addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress() && bits >= 96) {
    return [(addr as ipaddr.IPv6).toIPv4Address(), bits - 96];
  }
  return [addr, bits];
}
