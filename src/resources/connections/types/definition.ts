import { type TSchema, Type } from 'typebox'
import type { ValidationIssue } from '../../../errors.ts'
import { HttpUrl, matching } from '../../../http/schemas.ts'
import { MASK } from '../../../sealed.ts'

/*
 * What one connection type is: its documented fields, which of them are secrets, which
 * say where those secrets are sent, and the rules a schema cannot state. Each type's
 * module declares one of these; the schemas, the sealing and the OpenAPI document are
 * all derived from the declarations, so a type is described in exactly one place.
 */

/** A connection as the API has it, less the common fields. */
export type Body = Record<string, unknown>

/** Two values of a target field compare equal when these strings do. */
export type Normalize = (value: unknown, body: Body) => string

/**
 * One secret value somewhere in a body: a top-level field, a map entry, a header value,
 * a URL query value. `key` names it in the sealed store (stable across updates), `field`
 * in error messages; `put` writes a value (the mask, or the stored value) in its place.
 */
export interface SecretSlot {
  key: string
  field: string
  /** How an audit event names it, when `field` alone is ambiguous (several query values). */
  label?: string
  value: unknown
  put(value: string | null): void
}

export interface ConnectionTypeDef {
  /** The discriminator, as the docs spell it. */
  type: string
  /** The type's own fields. A field whose schema is secret() is a secret. */
  fields: Record<string, TSchema>
  /** Fields that say where the secrets go: changing one needs the secrets again. */
  target: Record<string, Normalize>
  /** Secrets inside structures, beyond the top-level secret() fields. */
  nestedSecrets?: (body: Body) => SecretSlot[]
  /** Rules across fields, run on the body with kept secrets as the mask. */
  check?: (body: Body) => ValidationIssue[]
  /** Spellings the docs' own examples use for a field. */
  aliases?: Record<string, string>
  /** Its secrets can be read back in clear by ROLE_API_SECURITY (audited). */
  revealable?: boolean
}

export const SECRET = 'x-secret'

const NO_INVISIBLE = '^[^\\u0000-\\u001f\\u007f\\u202a-\\u202e\\u2066-\\u2069]*$'
const textPattern = matching(NO_INVISIBLE, 'must not contain control or bidi override characters')

type Options = { description?: string; nullable?: boolean }
const typeOf = (type: string, nullable?: boolean) => (nullable ? [type, 'null'] : type)

/** Text; optional and nullable unless said otherwise. */
export const text = (maxLength = 1024, o: Options & { minLength?: number } = {}) =>
  Type.Unsafe<string | null>({
    type: typeOf('string', o.nullable ?? true),
    maxLength,
    ...(o.minLength ? { minLength: o.minLength } : {}),
    ...textPattern,
    ...(o.description ? { description: o.description } : {}),
  })

/** Text that must be there and not empty. */
export const required = (maxLength = 1024, description?: string) =>
  text(maxLength, { nullable: false, minLength: 1, ...(description ? { description } : {}) })

export const int = (minimum: number, maximum: number, o: Options = {}) =>
  Type.Unsafe<number | null>({
    type: typeOf('integer', o.nullable ?? true),
    minimum,
    maximum,
    ...(o.description ? { description: o.description } : {}),
  })

export const bool = (description?: string) =>
  Type.Unsafe<boolean | null>({
    type: ['boolean', 'null'],
    ...(description ? { description } : {}),
  })

export const oneOf = (values: readonly string[], o: Options = {}) =>
  Type.Unsafe<string | null>({
    type: typeOf('string', o.nullable ?? true),
    enum: o.nullable === false ? [...values] : [...values, null],
    ...(o.description ? { description: o.description } : {}),
  })

/** File content as text (base64, PEM): line breaks allowed, NUL not. */
export const blob = (maxLength: number, description: string) =>
  Type.Unsafe<string | null>({
    type: ['string', 'null'],
    maxLength,
    ...matching('^[^\\u0000]*$', 'must not contain NUL'),
    description,
  })

export const port = () => int(1, 65_535)
export const millis = () => int(0, 86_400_000)
export const host = () =>
  Type.String({
    minLength: 1,
    maxLength: 253,
    ...matching('^[A-Za-z0-9._:\\[\\]-]+$', 'must be a host name or an IP address'),
  })
export const httpUrl = HttpUrl

/** A secret field: sealed at rest, answered as the mask (or null when not set). */
export const secret = (maxLength = 4096, what = 'Secret') =>
  Type.Unsafe<string | null>({
    type: ['string', 'null'],
    maxLength,
    [SECRET]: true,
    description: `${what}: encrypted at rest, answered as "${MASK}" when set and null when not. On update, omit it or send "${MASK}" to keep it, null to remove it; keeping it is refused when a target field changed.`,
  })

export const isSecret = (schema: TSchema) => (schema as Record<string, unknown>)[SECRET] === true

export const list = <T extends TSchema>(items: T, maxItems = 100, minItems = 0) =>
  Type.Array(items, { maxItems, ...(minItems > 0 ? { minItems } : {}) })

export const object = (properties: Record<string, TSchema>) =>
  Type.Object(properties, { additionalProperties: false })

/** A map of short strings (client properties, PDU variables). */
export const stringMap = (description?: string) =>
  Type.Unsafe<Record<string, string> | null>({
    type: ['object', 'null'],
    maxProperties: 100,
    additionalProperties: { type: 'string', maxLength: 4096 },
    ...(description ? { description } : {}),
  })

export const issue = (field: string, message: string): ValidationIssue => ({ field, message })

/** Present: neither missing, null nor empty text. */
export const present = (value: unknown) => value !== undefined && value !== null && value !== ''

/** `fields` are required when `when` holds; one issue per missing one. */
export function requiredWhen(body: Body, when: boolean, why: string, ...fields: string[]) {
  if (!when) return []
  return fields.filter((f) => !present(body[f])).map((f) => issue(f, `is required ${why}`))
}

/**
 * Secrets belong in the sealed fields, never in a URL stored in clear. `withQuery`:
 * refuse `password=` in the query too (a webhook's query values are sealed instead).
 */
export function noPasswordInUrl(body: Body, field: string, withQuery = true): ValidationIssue[] {
  const url = body[field]
  if (typeof url !== 'string') return []
  if (
    /^[a-z][a-z0-9+.:-]*\/\/[^/@\s]*:[^/@\s]*@/i.test(url) ||
    /thin:[^@/\s]+\/[^@\s]+@/i.test(url) ||
    (withQuery && /[?&;]password=/i.test(url))
  ) {
    return [issue(field, 'must not carry a password: put it in the secret field, which is sealed')]
  }
  return []
}
