import { type TSchema, Type } from 'typebox'

/**
 * A pattern, with the plain words a client reads when a value does not match it (the
 * error handler answers them instead of the regular expression). Kept side by side, so
 * a pattern and its explanation cannot drift apart.
 */
export const PATTERN_MESSAGE = 'x-pattern-message'
export function matching(pattern: string, message: string) {
  return { pattern, [PATTERN_MESSAGE]: message }
}

/** Shapes shared by many routes, so the OpenAPI document names each once. */
export const ErrorBody = Type.Object(
  {
    error: Type.String(),
    error_description: Type.String(),
    validation_errors: Type.Optional(
      Type.Array(Type.Object({ field: Type.String(), message: Type.String() })),
    ),
    retry_after: Type.Optional(Type.Integer()),
  },
  { description: 'Every error answer' },
)

/** The nextCursor of the previous page, as the server gave it. */
export const Cursor = Type.String({
  minLength: 1,
  maxLength: 2048,
  ...matching('^[A-Za-z0-9_-]+$', 'must be the nextCursor of the previous page, unchanged'),
  description:
    'The nextCursor of the previous page (same sort): the next page, read from the index at the same cost however deep it is. Not with page.',
})

export const ListQuery = Type.Object(
  {
    page: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 1_000_000, description: 'Zero-based page number' }),
    ),
    size: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 1000, description: 'Items per page (default 100)' }),
    ),
    sort: Type.Optional(
      Type.String({
        maxLength: 64,
        ...matching(
          '^[A-Za-z]+(,(asc|desc|ASC|DESC))?$',
          'must be a field name, then ,asc or ,desc',
        ),
        description: 'field,asc|desc',
      }),
    ),
    after: Type.Optional(Cursor),
  },
  { additionalProperties: false },
)

export function ListBody<T extends TSchema>(item: T) {
  return Type.Object({
    status: Type.Literal('SUCCESS'),
    success: Type.Literal(true),
    resultList: Type.Array(item),
    resultCount: Type.Integer({ description: 'Items in this answer' }),
    totalCount: Type.Integer({
      description: 'Items on all pages, counted up to 1,000 (see totalCountExact)',
    }),
    totalCountExact: Type.Boolean({
      description: 'false when there are more than 1,000 items: totalCount is then 1,000',
    }),
    page: Type.Integer(),
    size: Type.Integer(),
    nextCursor: Type.Union([Type.String(), Type.Null()], {
      description: 'Pass as after= for the next page; null on the last page',
    }),
  })
}

export const SuccessBody = Type.Object({
  status: Type.Literal('SUCCESS'),
  success: Type.Literal(true),
})

/** Error answers a route can give, for its OpenAPI entry. */
export function errorResponses(...statuses: number[]): Record<number, typeof ErrorBody> {
  return Object.fromEntries(statuses.map((s) => [s, ErrorBody]))
}

/*
 * What people read must say what it is. Control characters (NUL among them: PostgreSQL
 * text cannot hold it) and invisible format characters (Unicode category Cf: bidi
 * overrides and isolates, zero-width spaces and joiners, the BOM, tag characters) can
 * make two names look alike or a name read as something else, so names refuse them.
 */
export const INVISIBLE = 'control characters or invisible formatting (bidi, zero-width)'

/** Names of projects, proxies, environments...: no spaces, slashes, control or format characters. */
export const NAME = matching(
  '^[^\\s/\\p{Cc}\\p{Cf}]+$',
  `must not contain spaces, slashes, ${INVISIBLE}`,
)
export const NameParam = Type.String({ minLength: 1, maxLength: 100, ...NAME })

/** http(s) URLs: no spaces, control or invisible format characters (a URL is read too). */
const HTTP_URL = matching(
  '^https?://[^\\s\\p{Cc}\\p{Cf}]+$',
  `must be an http:// or https:// URL without spaces, ${INVISIBLE}`,
)
export const HttpUrl = (options: { description?: string } = {}) =>
  Type.String({ maxLength: 2048, ...HTTP_URL, ...options })

/** Labels (token names, people's names): spaces allowed, no control or format characters. */
const LABEL_PATTERN = '^[^\\p{Cc}\\p{Cf}\\u2028\\u2029]*$'
export const LABEL = new RegExp(LABEL_PATTERN, 'u')
export const Label = (maxLength: number, minLength = 1) =>
  Type.String({ minLength, maxLength, ...matching(LABEL_PATTERN, `must not contain ${INVISIBLE}`) })

/**
 * Free text (descriptions): line breaks and emoji sequences allowed; NUL and the bidi
 * embedding, override and isolate controls, which make text display in an order other
 * than the one it has ("Trojan Source"), refused.
 */
const FREE_TEXT = matching(
  '^[^\\u0000\\u202a-\\u202e\\u2066-\\u2069]*$',
  'must not contain NUL or bidi override/isolate characters (U+202A-202E, U+2066-2069)',
)
export const FreeText = (maxLength: number, minLength = 0) =>
  Type.String({ minLength, maxLength, ...FREE_TEXT })
