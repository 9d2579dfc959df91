import { type TSchema, Type } from 'typebox'

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
        pattern: '^[A-Za-z]+(,(asc|desc|ASC|DESC))?$',
        description: 'field,asc|desc',
      }),
    ),
  },
  { additionalProperties: false },
)

export function ListBody<T extends TSchema>(item: T) {
  return Type.Object({
    status: Type.Literal('SUCCESS'),
    success: Type.Literal(true),
    resultList: Type.Array(item),
    resultCount: Type.Integer({ description: 'Items in this answer' }),
    totalCount: Type.Integer({ description: 'Items on all pages' }),
    page: Type.Integer(),
    size: Type.Integer(),
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

/** Names of projects, proxies, environments...: no spaces, slashes or control characters. */
export const NAME_PATTERN = '^[^\\s/\\u0000-\\u001f\\u007f]+$'
export const NameParam = Type.String({ minLength: 1, maxLength: 100, pattern: NAME_PATTERN })
