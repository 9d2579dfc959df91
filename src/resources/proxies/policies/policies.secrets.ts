import type { ValidationIssue } from '../../../errors.ts'
import { MASK, seal } from '../../../sealed.ts'
import type { PolicyTypeDefinition } from './types/definition.ts'

/*
 * A policy's secrets (its type's `secrets` paths, `*` for every item of a list) are
 * stored sealed inside the policy JSON and read as the mask; the mask sent back keeps
 * the stored value at the same place.
 */

type Json = Record<string, unknown>

/** The concrete paths ('keyList.0.password') a pattern ('keyList.*.password') reaches. */
function expand(value: unknown, parts: string[], at: string[]): string[][] {
  if (parts.length === 0) return [at]
  if (value === null || typeof value !== 'object') return []
  const [head, ...rest] = parts as [string, ...string[]]
  if (head === '*') {
    if (!Array.isArray(value)) return []
    return value.flatMap((item, i) => expand(item, rest, [...at, String(i)]))
  }
  const child = (value as Json)[head]
  return child === undefined ? [] : expand(child, rest, [...at, head])
}

function get(value: unknown, path: string[]): unknown {
  let here = value
  for (const part of path) {
    if (here === null || typeof here !== 'object') return undefined
    here = (here as Json)[part]
  }
  return here
}

function set(value: unknown, path: string[], next: unknown): void {
  const parent = get(value, path.slice(0, -1)) as Json
  parent[path[path.length - 1] as string] = next
}

function secretsIn(def: PolicyTypeDefinition, policy: Json): string[][] {
  return (def.secrets ?? []).flatMap((pattern) => expand(policy, pattern.split('.'), []))
}

const isSet = (v: unknown): v is string => typeof v === 'string' && v !== ''

/** Binds a sealed value to its proxy, policy and place, so a copy elsewhere fails to open. */
export const secretContext = (proxyId: string, nameKey: string, path: string[]) =>
  `api-proxy-policy:${proxyId}:${nameKey}:${path.join('.')}`

/**
 * The stored form of a policy: each secret sealed, each mask replaced by what is stored
 * at the same place (or an issue when nothing is).
 */
export function sealPolicy(
  key: Buffer,
  at: { proxyId: string; nameKey: string },
  def: PolicyTypeDefinition,
  policy: Json,
  stored: Json | null,
): { policy: Json; issues: ValidationIssue[] } {
  const out = structuredClone(policy)
  const issues: ValidationIssue[] = []
  for (const path of secretsIn(def, out)) {
    const value = get(out, path)
    if (value === MASK) {
      const kept = stored ? get(stored, path) : undefined
      if (isSet(kept)) set(out, path, kept)
      else
        issues.push({
          field: `policy.${path.join('.')}`,
          message: `is "${MASK}", the mask shown in place of a stored value, but nothing is stored there; send the value itself`,
        })
    } else if (isSet(value)) {
      set(out, path, seal(key, value, secretContext(at.proxyId, at.nameKey, path)))
    }
  }
  return { policy: out, issues }
}

/** The policy as answered: every secret that is set shows as the mask. */
export function maskPolicy(def: PolicyTypeDefinition | undefined, stored: Json): Json {
  const out = structuredClone(stored)
  if (!def) return out
  for (const path of secretsIn(def, out)) if (isSet(get(out, path))) set(out, path, MASK)
  return out
}

/**
 * The policy without its secrets (an export never writes them), and the paths of those
 * that were set, so whoever imports it knows what to set again.
 */
export function withoutSecrets(
  def: PolicyTypeDefinition | undefined,
  stored: Json,
): { policy: Json; left: string[] } {
  const out = structuredClone(stored)
  const left: string[] = []
  if (!def) return { policy: out, left }
  for (const path of secretsIn(def, out).reverse()) {
    if (isSet(get(out, path))) left.unshift(path.join('.'))
    const parent = get(out, path.slice(0, -1)) as Json
    delete parent[path[path.length - 1] as string]
  }
  return { policy: out, left }
}
