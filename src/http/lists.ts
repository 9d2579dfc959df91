import {
  type Expression,
  type Kysely,
  type RawBuilder,
  type SelectQueryBuilder,
  type SqlBool,
  sql,
} from 'kysely'
import type { Queryable } from '../db/types.ts'
import { errors } from '../errors.ts'

export interface ListQueryInput {
  page?: number | undefined
  size?: number | undefined
  sort?: string | undefined
  /** The nextCursor of the previous page: the page after it, found by index (keyset). */
  after?: string | undefined
}

const DEFAULT_SIZE = 100

/**
 * totalCount counts at most this many items, so the count costs the same on a list of a
 * thousand items and one of a million (counting 10,000 index entries already costs
 * SQLite about 2.5 ms, more than the page itself); past it the answer says
 * totalCountExact: false, and nextCursor (or a short page) tells where the list ends.
 */
export const TOTAL_COUNT_BOUND = 1000

/** A column (qualified when the query joins), or an expression such as nullable(). */
export type SortKey = string | RawBuilder<unknown>

export interface ListOrder {
  /** The fields a client may sort by; a typo is a 400, not a silent no-op. */
  sortable: Record<string, SortKey>
  /** "field" or "field,desc": the order when the client names none; its field breaks ties. */
  defaultSort: string
  /**
   * What orders rows the sort and default fields leave tied (ascending unless said;
   * 'sort': the sort's direction), so the order is total: a cursor then names exactly
   * one place in the list.
   */
  tail?: readonly (SortKey | readonly [SortKey, 'asc' | 'desc' | 'sort'])[]
}

/** A nullable column, ordered null first ascending (as '' sorts before any timestamp). */
export function nullable(column: string): RawBuilder<unknown> {
  return sql`coalesce(${sql.ref(column)}, '')`
}

type Direction = 'asc' | 'desc'
interface Key {
  expr: Expression<unknown>
  direction: Direction
}

const asExpression = (key: SortKey): Expression<unknown> =>
  typeof key === 'string' ? sql.ref(key) : key

function resolveOrder(order: ListOrder, requested: string | undefined) {
  const [defaultField = ''] = order.defaultSort.split(',')
  const [field = defaultField, raw = 'asc'] = (requested ?? order.defaultSort).split(',')
  // Own properties only: `sort=valueOf` must not find Object.prototype's methods.
  if (!Object.hasOwn(order.sortable, field)) {
    throw errors.invalidParameter(
      `sort: unknown field '${field}'; sortable fields are ${Object.keys(order.sortable).join(', ')}`,
    )
  }
  const direction: Direction = raw.toLowerCase() === 'desc' ? 'desc' : 'asc'
  const keys: Key[] = [{ expr: asExpression(order.sortable[field] as SortKey), direction }]
  if (field !== defaultField) {
    keys.push({ expr: asExpression(order.sortable[defaultField] as SortKey), direction: 'asc' })
  }
  for (const entry of order.tail ?? []) {
    const [key, dir] = Array.isArray(entry) ? entry : [entry as SortKey, 'asc' as const]
    keys.push({ expr: asExpression(key), direction: dir === 'sort' ? direction : dir })
  }
  return { keys, tag: `${field},${direction}` }
}

const badCursor = () =>
  errors.invalidParameter(
    'after: not a cursor of this list in this order; pass the nextCursor of the previous page, with the same sort',
  )

/** Opaque to clients: the sort it belongs to and the last row's values of the order keys. */
export function encodeCursor(tag: string, values: readonly unknown[]): string {
  return Buffer.from(JSON.stringify([tag, ...values])).toString('base64url')
}

function decodeCursor(cursor: string, tag: string, length: number): (string | number)[] {
  let parsed: unknown
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))
  } catch {
    throw badCursor()
  }
  if (
    !Array.isArray(parsed) ||
    parsed.length !== length + 1 ||
    parsed[0] !== tag ||
    !parsed.slice(1).every((v) => typeof v === 'string' || typeof v === 'number')
  ) {
    throw badCursor()
  }
  return parsed.slice(1)
}

/**
 * Rows after the cursor's: a row value comparison when every key runs one way (both
 * engines seek an index with it), else the expanded form, led by a bound on the first key.
 */
function afterCursor(keys: Key[], values: (string | number)[]): RawBuilder<SqlBool> {
  const op = (d: Direction) => sql.raw(d === 'asc' ? '>' : '<')
  const first = keys[0] as Key
  if (keys.every((k) => k.direction === first.direction)) {
    const left = sql.join(keys.map((k) => k.expr))
    return sql<SqlBool>`(${left}) ${op(first.direction)} (${sql.join(values)})`
  }
  const branches = keys.map((key, i) => {
    const equal = keys.slice(0, i).map((k, j) => sql`${k.expr} = ${values[j]}`)
    return sql.join([...equal, sql`${key.expr} ${op(key.direction)} ${values[i]}`], sql` and `)
  })
  const bound = sql.raw(first.direction === 'asc' ? '>=' : '<=')
  return sql<SqlBool>`${first.expr} ${bound} ${values[0]} and ((${sql.join(branches, sql`) or (`)}))`
}

const KEY_PREFIX = 'list_key_'

/**
 * One page of a list, sorted, filtered and paged by the database: `base` is the list's
 * query with its filters and columns, and no order. Offsets (`page`) stay for the
 * documented API; `after` (keyset) reads the same page at the same cost wherever it is.
 */
export async function pageInSql<Row, View>(
  db: Queryable,
  // biome-ignore lint/suspicious/noExplicitAny: any list's query, whatever its tables
  base: SelectQueryBuilder<any, any, Row>,
  query: ListQueryInput,
  order: ListOrder,
  view: (row: Row) => View,
) {
  const { keys, tag } = resolveOrder(order, query.sort)
  const page = query.page ?? 0
  const size = query.size ?? DEFAULT_SIZE
  if (query.after !== undefined && page !== 0) {
    throw errors.invalidParameter('after: give either page or after, not both')
  }
  let rowsQuery = base.select(keys.map((k, i) => sql`${k.expr}`.as(`${KEY_PREFIX}${i}`)))
  for (const k of keys) rowsQuery = rowsQuery.orderBy(k.expr, k.direction)
  rowsQuery =
    query.after === undefined
      ? rowsQuery.offset(page * size)
      : rowsQuery.where(afterCursor(keys, decodeCursor(query.after, tag, keys.length)))
  const [rows, total] = await Promise.all([
    rowsQuery.limit(size + 1).execute() as Promise<Record<string, unknown>[]>,
    boundedCount(db, base),
  ])
  const last = rows.length > size ? (rows[size - 1] as Record<string, unknown>) : undefined
  const resultList = rows.slice(0, size).map((row) => {
    const clean = { ...row }
    for (let i = 0; i < keys.length; i++) delete clean[`${KEY_PREFIX}${i}`]
    return view(clean as Row)
  })
  return {
    ...SUCCESS,
    resultList,
    resultCount: resultList.length,
    totalCount: Math.min(total, TOTAL_COUNT_BOUND),
    totalCountExact: total <= TOTAL_COUNT_BOUND,
    page,
    size,
    nextCursor: last
      ? encodeCursor(
          tag,
          keys.map((_, i) => last[`${KEY_PREFIX}${i}`]),
        )
      : null,
  }
}

/** How many items the list has, counting no further than one past the bound. */
// biome-ignore lint/suspicious/noExplicitAny: any list's query, whatever its tables
async function boundedCount(db: Queryable, base: SelectQueryBuilder<any, any, unknown>) {
  const bounded = base
    .clearSelect()
    .select(sql.lit(1).as('one'))
    .limit(TOTAL_COUNT_BOUND + 1)
  // biome-ignore lint/suspicious/noExplicitAny: selecting from a subquery of any tables
  const { n } = await (db as Kysely<any>)
    .selectFrom(bounded.as('bounded'))
    .select((eb) => eb.fn.countAll<number | string | bigint>().as('n'))
    .executeTakeFirstOrThrow()
  return Number(n)
}

export const SUCCESS = { status: 'SUCCESS', success: true } as const
