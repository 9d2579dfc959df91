import { createHash } from 'node:crypto'
import { isIPv4, isIPv6 } from 'node:net'

/**
 * The client's address as one key for everything that counts per client (the login
 * throttle, the audit log's folding), from the socket unless trustProxy names the
 * proxies allowed to set X-Forwarded-For (Fastify's request.ip). IPv4-mapped IPv6
 * counts as IPv4; other IPv6 addresses count per /64, since one subscriber usually
 * holds a whole /64. Anything that is no address is hashed to a fixed size.
 */
export function addressKey(address: string | undefined): string {
  let ip = (address ?? '').trim()
  const zone = ip.indexOf('%')
  if (zone !== -1) ip = ip.slice(0, zone)
  if (isIPv4(ip)) return `ip:${ip}`
  if (!isIPv6(ip)) return `ip:#${createHash('sha256').update(ip).digest('hex').slice(0, 32)}`
  const groups = ipv6Groups(ip)
  // ::ffff:a.b.c.d (however written) is an IPv4 client on a dual-stack socket.
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    const [hi = 0, lo = 0] = groups.slice(6)
    return `ip:${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`
  }
  return `ip:${groups
    .slice(0, 4)
    .map((g) => g.toString(16))
    .join(':')}::/64`
}

/** The eight 16-bit groups of a valid IPv6 address (an IPv4 tail becomes two). */
function ipv6Groups(ip: string): number[] {
  let text = ip.toLowerCase()
  const v4 = /(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text)
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number]
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`
  }
  const [head = '', tail] = text.split('::')
  const left = head === '' ? [] : head.split(':')
  const right = tail === undefined || tail === '' ? [] : tail.split(':')
  const all =
    tail === undefined
      ? left
      : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right]
  return all.map((g) => Number.parseInt(g, 16))
}
