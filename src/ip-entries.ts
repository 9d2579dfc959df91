import ipaddr from 'ipaddr.js'

/*
 * Address lists (IP groups, a credential's ipList): IPv4 and IPv6 addresses and CIDR
 * ranges, each in one canonical spelling, so that the same address sent twice
 * (2001:DB8::1 and 2001:db8:0::1) is stored once and the gateway compares like with
 * like. Spellings that mean different addresses to different parsers (010.0.0.1,
 * 127.1) are refused rather than guessed at.
 */

/** IPv4 only in four decimal parts: `127.1` and `0x7f000001` mean different things to different parsers. */
function parseAddress(text: string): ipaddr.IPv4 | ipaddr.IPv6 {
  if (text.includes('%'))
    throw new Error('has a zone index (%...), which means nothing off one host')
  if (ipaddr.IPv4.isValidFourPartDecimal(text)) return ipaddr.IPv4.parse(text)
  if (ipaddr.IPv6.isValid(text)) return ipaddr.IPv6.parse(text)
  throw new Error(
    'is not an IPv4 address (four decimal parts, e.g. 192.168.1.10), an IPv6 address, or a CIDR range of one (e.g. 10.0.0.0/8)',
  )
}

function spell(address: ipaddr.IPv4 | ipaddr.IPv6): string {
  if (address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress()) {
    return `::ffff:${(address as ipaddr.IPv6).toIPv4Address().toString()}`
  }
  return address.toString()
}

function canonicalRange(text: string): string {
  const slash = text.indexOf('/')
  const address = parseAddress(text.slice(0, slash))
  const bits = address.kind() === 'ipv4' ? 32 : 128
  const lengthText = text.slice(slash + 1)
  const length = Number(lengthText)
  if (!/^\d{1,3}$/.test(lengthText) || length > bits) {
    throw new Error(`has a prefix length that is not a whole number from 0 to ${bits}`)
  }
  const network =
    address.kind() === 'ipv4'
      ? ipaddr.IPv4.networkAddressFromCIDR(`${address.toString()}/${length}`)
      : ipaddr.IPv6.networkAddressFromCIDR(`${address.toString()}/${length}`)
  const canonical = `${spell(address)}/${length}`
  if (spell(network) !== spell(address)) {
    throw new Error(
      `has bits set after the prefix: the range it names is ${spell(network)}/${length}`,
    )
  }
  return canonical
}

/** The entry in its canonical text, or an Error whose message says what is wrong with it. */
export function canonicalEntry(text: string): string {
  return text.includes('/') ? canonicalRange(text) : spell(parseAddress(text))
}

/**
 * Every entry of a body's ipList in canonical text, duplicates dropped (first one kept),
 * or the problems, one per bad entry, each naming its index.
 */
export function canonicalList(
  list: readonly string[],
  field = 'ipList',
): { entries: string[] } | { problems: { field: string; message: string }[] } {
  const entries = new Set<string>()
  const problems: { field: string; message: string }[] = []
  list.forEach((text, index) => {
    try {
      entries.add(canonicalEntry(text))
    } catch (error) {
      problems.push({
        field: `${field}.${index}`,
        message: `'${text}' ${(error as Error).message}`,
      })
    }
  })
  return problems.length > 0 ? { problems } : { entries: [...entries] }
}
