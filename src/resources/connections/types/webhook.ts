import { Type } from 'typebox'
import { matching } from '../../../http/schemas.ts'
import { MASK } from '../../../sealed.ts'
import {
  type Body,
  type ConnectionTypeDef,
  httpUrl,
  int,
  list,
  noPasswordInUrl,
  object,
  oneOf,
  type SecretSlot,
} from './definition.ts'
import { urlTarget } from './targets.ts'

const opt = Type.Optional

/** A query parameter as written in the URL (still percent-encoded); null: no `=`. */
interface QueryPiece {
  name: string
  value: string | null
}

/**
 * Split by hand rather than with URL/URLSearchParams, which would re-encode what the
 * client sent (spaces, `+`, `%2F`): the URL reads back exactly as written.
 */
function parseUrl(url: string) {
  const hash = url.indexOf('#')
  const fragment = hash === -1 ? '' : url.slice(hash)
  const beforeHash = hash === -1 ? url : url.slice(0, hash)
  const mark = beforeHash.indexOf('?')
  if (mark === -1) return { head: beforeHash, query: null as QueryPiece[] | null, fragment }
  const query = beforeHash
    .slice(mark + 1)
    .split('&')
    .map((piece): QueryPiece => {
      const eq = piece.indexOf('=')
      return eq === -1
        ? { name: piece, value: null }
        : { name: piece.slice(0, eq), value: piece.slice(eq + 1) }
    })
  return { head: beforeHash.slice(0, mark), query, fragment }
}

function formatUrl(parts: ReturnType<typeof parseUrl>): string {
  const query =
    parts.query === null
      ? ''
      : `?${parts.query.map((p) => (p.value === null ? p.name : `${p.name}=${p.value}`)).join('&')}`
  return `${parts.head}${query}${parts.fragment}`
}

/** Counts occurrences, so the second `?k=` or `X-A:` keeps the second stored value. */
function occurrences() {
  const seen = new Map<string, number>()
  return (name: string) => {
    const n = seen.get(name) ?? 0
    seen.set(name, n + 1)
    return n
  }
}

/**
 * Every non-empty header value and URL query value (they carry API keys). Headers match
 * by name ignoring case, as HTTP does; query values by name and occurrence.
 */
function nestedSecrets(body: Body): SecretSlot[] {
  const slots: SecretSlot[] = []
  const nth = occurrences()
  const headers = (body.headerList as { name: string; value: string }[] | null) ?? []
  headers.forEach((header, i) => {
    if (typeof header.value !== 'string' || header.value === '') return
    slots.push({
      key: `headerList:${header.name.toLowerCase()}#${nth(header.name.toLowerCase())}`,
      field: `headerList.${i}.value`,
      label: `headerList.${header.name}`,
      value: header.value,
      put: (value) => {
        header.value = value ?? ''
      },
    })
  })
  if (typeof body.fullUrl !== 'string') return slots
  const parts = parseUrl(body.fullUrl)
  const nthQuery = occurrences()
  for (const piece of parts.query ?? []) {
    if (piece.value === null || piece.value === '') continue
    slots.push({
      key: `fullUrl?${piece.name}#${nthQuery(piece.name)}`,
      field: 'fullUrl',
      label: `fullUrl?${piece.name}`,
      value: piece.value,
      put: (value) => {
        piece.value = value ?? ''
        body.fullUrl = formatUrl(parts)
      },
    })
  }
  return slots
}

export const webhook: ConnectionTypeDef = {
  type: 'webhook',
  fields: {
    httpMethod: opt(oneOf(['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'])),
    fullUrl: httpUrl({
      description: `Every query parameter value is a secret (e.g. ?api_key=): sealed, answered as "${MASK}"; on update "${MASK}" keeps it unless the scheme, host, port or path changed.`,
    }),
    headerList: opt(
      list(
        object({
          name: Type.String(
            matching("^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$", 'must be an HTTP header name'),
          ),
          value: Type.String({ maxLength: 4096 }),
        }),
        50,
      ),
    ),
    timeout: opt(int(1, 3600, { description: 'Seconds' })),
    connectionPoolMaxConnectionPerHost: opt(int(1, 10_000)),
    connectionPoolMaxConnectionTotal: opt(int(1, 100_000)),
  },
  target: { fullUrl: urlTarget(true) },
  nestedSecrets,
  check: (body) => noPasswordInUrl(body, 'fullUrl', false),
  revealable: true,
}
