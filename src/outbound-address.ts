import ipaddr from 'ipaddr.js'

/*
 * Which addresses the server may open a connection to on a caller's behalf (a spec URL
 * today, the gateway's backends later). Only globally routable unicast is allowed:
 * anything else reaches this host, its private network or the cloud metadata service
 * (169.254.169.254), which a caller must never be able to probe through us. Operators
 * who keep specs on internal hosts name them in an allowlist.
 */

type Address = ipaddr.IPv4 | ipaddr.IPv6

export interface OutboundAllowlist {
  /** Networks allowed however private they are, whichever name led to them. */
  readonly networks: readonly (readonly [Address, number])[]
  /** Host names (lower case, no trailing dot) allowed to resolve to private addresses. */
  readonly hosts: ReadonlySet<string>
}

export const EMPTY_ALLOWLIST: OutboundAllowlist = Object.freeze({
  networks: Object.freeze([]),
  hosts: Object.freeze(new Set<string>()),
})

const HOST_NAME =
  /^(?=.{1,253}$)[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*$/

/** A host name as the allowlist compares it: case-insensitive, a trailing dot ignored. */
export function normalizeHostName(host: string): string {
  return host.toLowerCase().replace(/\.$/, '')
}

/**
 * Reads a comma-separated list of CIDRs, single addresses and host names. Every bad
 * entry is reported (with `name`, the setting it came from), so startup can list them all.
 */
export function parseAllowlist(
  raw: string,
  name: string,
): { allowlist: OutboundAllowlist; problems: string[] } {
  const networks: [Address, number][] = []
  const hosts = new Set<string>()
  const problems: string[] = []
  for (const entry of raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    if (entry.includes('/')) {
      if (ipaddr.isValidCIDR(entry)) networks.push(ipaddr.parseCIDR(entry))
      else problems.push(`${name}: "${entry}" is not a valid CIDR (e.g. 10.20.0.0/16 or fd00::/8)`)
    } else if (ipLiteral(entry)) {
      const address = parseAddress(entry)
      networks.push([address, address.kind() === 'ipv4' ? 32 : 128])
    } else if (HOST_NAME.test(normalizeHostName(entry))) {
      hosts.add(normalizeHostName(entry))
    } else {
      problems.push(`${name}: "${entry}" is neither a CIDR, an IP address nor a host name`)
    }
  }
  return { allowlist: { networks, hosts }, problems }
}

const NAT64 = ipaddr.parseCIDR('64:ff9b::/96')
const GLOBAL_UNICAST_V6 = ipaddr.parseCIDR('2000::/3')

/** The IPv4 address an IPv6 one stands for (mapped, translated, NAT64, 6to4), if any. */
function embeddedIPv4(address: ipaddr.IPv6): ipaddr.IPv4 | undefined {
  const p = address.parts as [number, number, number, number, number, number, number, number]
  const fromWords = (high: number, low: number) =>
    new ipaddr.IPv4([high >> 8, high & 0xff, low >> 8, low & 0xff])
  switch (address.range()) {
    case 'ipv4Mapped':
    case 'rfc6145':
      return fromWords(p[6], p[7])
    case 'rfc6052':
      return address.match(NAT64) ? fromWords(p[6], p[7]) : undefined
    case '6to4':
      return fromWords(p[1], p[2])
    default:
      return undefined
  }
}

function inNetworks(address: Address, networks: OutboundAllowlist['networks']): boolean {
  return networks.some(([net, bits]) => net.kind() === address.kind() && address.match(net, bits))
}

/** Globally routable unicast, judging an IPv6 form of an IPv4 address by that address. */
function isPublic(address: Address): boolean {
  if (address.kind() === 'ipv4') return address.range() === 'unicast'
  const v6 = address as ipaddr.IPv6
  const v4 = embeddedIPv4(v6)
  if (v4) return v4.range() === 'unicast'
  // The local-use NAT64 prefix (64:ff9b:1::/48) leads to a local translator: refused.
  return v6.range() === 'unicast' && v6.match(GLOBAL_UNICAST_V6)
}

const IPV4_COMPATIBLE = /^::((?:\d{1,3}\.){3}\d{1,3})$/

/**
 * ipaddr.js reads "::a.b.c.d" as IPv4-mapped (::ffff:a.b.c.d); the socket (inet_pton)
 * reads it as IPv4-compatible (::a.b.c.d), another address. Judge what is connected to.
 */
function parseAddress(text: string): Address {
  const compatible = IPV4_COMPATIBLE.exec(text)?.[1]
  if (!compatible) return ipaddr.parse(text)
  const [a, b, c, d] = ipaddr.IPv4.parse(compatible).octets as [number, number, number, number]
  return new ipaddr.IPv6([0, 0, 0, 0, 0, 0, (a << 8) | b, (c << 8) | d])
}

/**
 * True when the server must not connect to `address`: anything but global unicast
 * (loopback, RFC 1918, link-local, CGNAT, ULA, multicast, unspecified, reserved, and
 * the IPv6 forms of those), unless a network on the allowlist holds it. Text that is
 * not an address is refused too.
 */
export function isForbiddenAddress(
  address: string,
  allowlist: OutboundAllowlist = EMPTY_ALLOWLIST,
): boolean {
  let parsed: Address
  try {
    parsed = parseAddress(address)
  } catch {
    return true
  }
  // An IPv4-mapped address is that IPv4 host itself; a NAT64 or 6to4 one is a gateway
  // elsewhere, so only the mapped form counts as the IPv4 address for the allowlist.
  const mapped = parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()
  const host = mapped ? (parsed as ipaddr.IPv6).toIPv4Address() : parsed
  if (inNetworks(host, allowlist.networks)) return false
  return !isPublic(parsed)
}

/** An IP literal (as a URL's hostname holds it, brackets and all), or undefined for a name. */
export function ipLiteral(hostname: string): string | undefined {
  const bare = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname
  return ipaddr.isValid(bare) && /^[\d.]+$|:/.test(bare) ? bare : undefined
}
