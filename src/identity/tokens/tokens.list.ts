import { sql } from 'kysely'
import type { TokenSource } from '../../db/schema.ts'
import { type ListOrder, type ListQueryInput, nullable, pageInSql } from '../../http/lists.ts'
import * as repo from './tokens.repository.ts'
import { type TokensDeps, tokenView } from './tokens.service.ts'

/**
 * The list's order; status is worked out from the clock, so it is sorted (among one
 * user's tokens, found by index) rather than read from an index.
 */
function tokenOrder(now: Date): ListOrder {
  const status = sql`case when revoked_at is not null then 'revoked' when expires_at is not null and expires_at <= ${now.toISOString()} then 'expired' else 'active' end`
  return {
    sortable: {
      createdAt: 'created_at',
      name: 'name',
      expiresAt: nullable('expires_at'),
      lastUsedAt: nullable('last_used_at'),
      status,
      id: 'id',
    },
    defaultSort: 'createdAt,desc',
    tail: ['id'],
  }
}

/**
 * One page of a user's tokens, newest first unless asked otherwise: of one source, or
 * without the token endpoint's short-lived ones (source 'api') when none is asked for.
 */
export async function pageTokens(
  deps: Pick<TokensDeps, 'db' | 'clock'>,
  userId: string,
  query: ListQueryInput & { source?: TokenSource | undefined },
) {
  const now = deps.clock.now()
  const base = repo.tokensOfUser(deps.db, userId, query.source)
  return pageInSql(deps.db, base, query, tokenOrder(now), (row) => tokenView(row, now))
}
