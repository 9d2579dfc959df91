import { lookup as dnsLookup } from 'node:dns/promises'
import { isIP, type LookupFunction } from 'node:net'
import {
  ipLiteral,
  isForbiddenAddress,
  normalizeHostName,
  type OutboundAllowlist,
} from './outbound-address.ts'

/*
 * Connecting only where the operator allows (outbound-address.ts says where), to the
 * address that was checked: a name is resolved once and the socket goes to the address
 * that passed, so a DNS answer that changes between the check and the connect
 * (rebinding) has nothing to slip through. Spec downloads, JWK sets, webhooks and SMTP
 * relays all connect through here.
 */

export interface ResolvedAddress {
  address: string
  family: 4 | 6
}

/** Every address a host name has; the system resolver unless a test gives another. */
export type HostResolver = (hostname: string) => Promise<ResolvedAddress[]>

export const systemResolver: HostResolver = async (hostname) =>
  (await dnsLookup(hostname, { all: true, verbatim: true })).map((a) => ({
    address: a.address,
    family: a.family === 6 ? 6 : 4,
  }))

/** No allowed address: the words go to logs and to administrators, never to a caller's probe. */
export class RefusedAddress extends Error {}

/**
 * `host` when it is an IP literal the server may connect to; undefined for a name;
 * RefusedAddress for a literal it may not. A socket connects to a literal as it is and
 * never calls its `lookup`, so pinnedLookup cannot guard one: every caller asks here.
 */
export function checkedLiteral(host: string, allowlist: OutboundAllowlist): string | undefined {
  const literal = ipLiteral(host)
  if (literal !== undefined && isForbiddenAddress(literal, allowlist)) {
    throw new RefusedAddress(`refused address ${literal}`)
  }
  return literal
}

/** The addresses of `hostname` the server may connect to, in the resolver's order. */
async function allowedAddresses(
  hostname: string,
  allowlist: OutboundAllowlist,
  resolve: HostResolver,
  family: 0 | 4 | 6 = 0,
): Promise<ResolvedAddress[]> {
  const found = await resolve(hostname)
  const trusted = allowlist.hosts.has(normalizeHostName(hostname))
  const usable = found.filter(
    (a) =>
      (family === 0 || a.family === family) &&
      (trusted || !isForbiddenAddress(a.address, allowlist)),
  )
  if (usable.length === 0) {
    const all = found.map((a) => a.address).join(', ') || 'no address'
    throw new RefusedAddress(`refused address ${all} (for ${hostname})`)
  }
  return usable
}

/** The first address of `hostname` (a name or a literal) the server may connect to; RefusedAddress if none. */
export async function allowedAddress(
  hostname: string,
  allowlist: OutboundAllowlist,
  resolve: HostResolver,
): Promise<ResolvedAddress> {
  const literal = checkedLiteral(hostname, allowlist)
  if (literal !== undefined) return { address: literal, family: isIP(literal) === 6 ? 6 : 4 }
  return (await allowedAddresses(hostname, allowlist, resolve))[0] as ResolvedAddress
}

/**
 * A socket `lookup` that resolves inside the connection and hands back only allowed
 * addresses, so the connection can only go to an address that passed the check.
 */
export function pinnedLookup(allowlist: OutboundAllowlist, resolve: HostResolver): LookupFunction {
  return (hostname, lookupOptions, callback) => {
    const family =
      lookupOptions.family === 4 || lookupOptions.family === 6 ? lookupOptions.family : 0
    allowedAddresses(hostname, allowlist, resolve, family).then(
      (usable) => {
        if (lookupOptions.all) return callback(null, usable as never)
        const first = usable[0] as ResolvedAddress
        callback(null, first.address, first.family)
      },
      (error: NodeJS.ErrnoException) => callback(error, '', 0),
    )
  }
}
