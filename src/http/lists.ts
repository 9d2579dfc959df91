import { errors } from '../errors.ts'

export interface ListQueryInput {
  page?: number | undefined
  size?: number | undefined
  sort?: string | undefined
}

const DEFAULT_SIZE = 100

/**
 * Sorts (stably, with the default key breaking ties) and pages a list. Sorting is
 * restricted to the fields a list declares, so a typo is a 400, not a silent no-op.
 */
export function paginate<T>(
  items: readonly T[],
  query: ListQueryInput,
  sortable: Record<string, (item: T) => string | number | null>,
  /** "field" or "field,desc": the order when the client names none; its field breaks ties. */
  defaultSort: string,
) {
  const [defaultField = ''] = defaultSort.split(',')
  const [field = defaultField, rawDirection = 'asc'] = (query.sort ?? defaultSort).split(',')
  // Own properties only: `sort=valueOf` must not find Object.prototype's methods.
  const key = Object.hasOwn(sortable, field) ? sortable[field] : undefined
  if (!key) {
    throw errors.invalidParameter(
      `sort: unknown field '${field}'; sortable fields are ${Object.keys(sortable).join(', ')}`,
    )
  }
  const tieBreak = sortable[defaultField] as (item: T) => string | number | null
  const direction = rawDirection.toLowerCase() === 'desc' ? -1 : 1
  const compare = (a: string | number | null, b: string | number | null) =>
    a === b ? 0 : a === null ? -1 : b === null ? 1 : a < b ? -1 : 1
  const sorted = [...items].sort(
    (a, b) => direction * compare(key(a), key(b)) || compare(tieBreak(a), tieBreak(b)),
  )
  const page = query.page ?? 0
  const size = query.size ?? DEFAULT_SIZE
  const resultList = sorted.slice(page * size, page * size + size)
  return {
    status: 'SUCCESS' as const,
    success: true as const,
    resultList,
    resultCount: resultList.length,
    totalCount: items.length,
    page,
    size,
  }
}

export const SUCCESS = { status: 'SUCCESS', success: true } as const
