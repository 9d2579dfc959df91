import type { Kysely } from 'kysely'
import type { NewAddressUse } from '../../audit/audit.service.ts'
import type { ApiTokenRow, Database } from '../../db/schema.ts'
import * as repo from '../tokens/tokens.repository.ts'
import type { CachedUser } from './auth-cache.ts'

/**
 * Writes last-used time and address at most once a minute per token (sooner when the
 * address changes), after the response, so the hot path never waits on a write. When
 * the address differs from the last one known, `onNewAddress` hears of it (the audit log).
 */
export class UsageRecorder {
  private readonly last = new Map<string, { at: number; ip: string }>()
  private pending = new Set<Promise<void>>()

  constructor(
    private readonly db: Kysely<Database>,
    private readonly onError: (error: unknown) => void,
    private readonly intervalMs = 60_000,
    private readonly onNewAddress?: (use: NewAddressUse) => void,
  ) {}

  /** `token` and `owner` are the cached row and user, passed whole so no object is made per request. */
  record(
    token: Pick<ApiTokenRow, 'id' | 'last_used_ip'>,
    owner: Pick<CachedUser, 'id' | 'username'>,
    t: number,
    ip: string,
  ): void {
    const tokenId = token.id
    const previous = this.last.get(tokenId)
    if (previous && previous.ip === ip && t - previous.at < this.intervalMs) return
    const now = new Date(t)
    if (this.last.size >= 100_000) this.last.clear()
    this.last.set(tokenId, { at: t, ip })
    const address = ip.slice(0, 64)
    // The last address this node saw, else the one stored with the token.
    const before = previous ? previous.ip.slice(0, 64) : token.last_used_ip
    if (this.onNewAddress && before !== address) {
      this.onNewAddress({
        tokenId,
        userId: owner.id,
        username: owner.username,
        ip: address,
        previousIp: before ?? null,
        at: now,
      })
    }
    const write = repo
      .touchToken(this.db, tokenId, now.toISOString(), address)
      .catch(this.onError)
      .finally(() => this.pending.delete(write))
    this.pending.add(write)
  }

  /** Waits for writes in flight (shutdown, and tests that read the result). */
  async flush(): Promise<void> {
    await Promise.all(this.pending)
  }
}
