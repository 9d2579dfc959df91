import { isIP } from 'node:net'

/**
 * Checks one ipList entry: an IPv4 or IPv6 address, or a CIDR range whose host bits
 * are zero. Returns what is wrong, in words a client can act on, or undefined.
 * A range like 10.0.0.1/8 is refused rather than silently widened or narrowed: the
 * client probably meant 10.0.0.0/8, and the message says so.
 */
export function ipEntryProblem(entry: string): string | undefined {
  const parts = entry.split('/')
  const [address = '', prefix] = parts
  const version = isIP(address) as 0 | 4 | 6
  if (parts.length > 2 || version === 0) {
    return `'${entry}' is not an IPv4 or IPv6 address, nor a CIDR range like 10.0.0.0/8`
  }
  if (address.includes('%'))
    return `'${entry}' has a zone index (%...), which a gateway cannot match`
  if (prefix === undefined) return undefined
  const bits = version === 4 ? 32 : 128
  if (!/^(0|[1-9][0-9]{0,2})$/.test(prefix) || Number(prefix) > bits) {
    return `'${entry}' has prefix length /${prefix}; IPv${version} allows /0 to /${bits}`
  }
  const bytes = toBytes(address, version)
  const network = bytes.map((byte, i) => {
    const keep = Math.max(0, Math.min(8, Number(prefix) - i * 8))
    return byte & (0xff << (8 - keep)) & 0xff
  })
  if (network.some((byte, i) => byte !== bytes[i])) {
    return `'${entry}' has host bits set after /${prefix}; did you mean '${format(network, version)}/${prefix}'?`
  }
  return undefined
}

function toBytes(address: string, version: 4 | 6): number[] {
  if (version === 4) return address.split('.').map(Number)
  // An embedded IPv4 tail (::ffff:10.0.0.1) becomes two hex groups.
  const text = address.replace(/(\d+)\.(\d+)\.(\d+)\.(\d+)$/, (_, a, b, c, d) =>
    [((+a << 8) | +b).toString(16), ((+c << 8) | +d).toString(16)].join(':'),
  )
  const [head = '', tail] = text.split('::')
  const groupsOf = (s: string) => (s === '' ? [] : s.split(':'))
  const left = groupsOf(head)
  const right = tail === undefined ? [] : groupsOf(tail)
  const groups = [...left, ...Array(8 - left.length - right.length).fill('0'), ...right]
  return groups.flatMap((g) => {
    const n = Number.parseInt(g, 16)
    return [n >> 8, n & 0xff]
  })
}

function format(bytes: number[], version: 4 | 6): string {
  if (version === 4) return bytes.join('.')
  const groups = Array.from({ length: 8 }, (_, i) =>
    (((bytes[2 * i] ?? 0) << 8) | (bytes[2 * i + 1] ?? 0)).toString(16),
  )
  // RFC 5952: the longest run of two or more zero groups becomes "::".
  let best = { start: -1, length: 1 }
  for (let i = 0; i < 8; ) {
    let j = i
    while (j < 8 && groups[j] === '0') j++
    if (j - i > best.length) best = { start: i, length: j - i }
    i = j === i ? i + 1 : j
  }
  if (best.start < 0) return groups.join(':')
  const before = groups.slice(0, best.start).join(':')
  const after = groups.slice(best.start + best.length).join(':')
  return `${before}::${after}`
}
