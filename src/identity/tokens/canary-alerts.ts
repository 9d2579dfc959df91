import type { Kysely } from 'kysely'
import type { AuditSink } from '../../audit/audit.recorder.ts'
import type { Clock } from '../../clock.ts'
import type { Database } from '../../db/schema.ts'
import type { Notifier } from '../../notifications/notifier.ts'
import { findUserById } from '../users/users.repository.ts'
import { deliverTokenNotice } from './token-notices.ts'

/** What a canary's owner is told about one use of it. */
export interface CanaryTrip {
  tokenId: string
  userId: string
  username: string
  address: string
  userAgent: string
  method: string
  path: string
}

/** One alert per canary per minute on a node: a scripted loop must not flood a mailbox. */
const ALERT_EVERY_MS = 60_000

/**
 * Tells a canary's owner by email and webhook that it was used. Every use is in the
 * audit log already (token.canaryTriggered); this is the message someone reads at once.
 * It runs beside the 401, never in its way, and never throws.
 */
export class CanaryAlerts {
  private readonly lastAlert = new Map<string, number>()

  constructor(
    private readonly deps: {
      db: Kysely<Database>
      clock: Clock
      audit: AuditSink
      notifier: Notifier
    },
  ) {}

  raise(trip: CanaryTrip, onError: (error: unknown) => void): void {
    if (this.deps.notifier.channels().length === 0) return
    const now = this.deps.clock.nowMs()
    const last = this.lastAlert.get(trip.tokenId)
    if (last !== undefined && now - last < ALERT_EVERY_MS) return
    this.forgetOld(now)
    this.lastAlert.set(trip.tokenId, now)
    this.tell(trip).catch(onError)
  }

  private async tell(trip: CanaryTrip): Promise<void> {
    const owner = await findUserById(this.deps.db, trip.userId)
    await deliverTokenNotice(this.deps, trip.tokenId, {
      event: 'token.canaryTriggered',
      recipient: { username: trip.username, email: owner?.email ?? null },
      subject: `apiops alert: your canary token ${trip.tokenId} was used`,
      text: [
        `Someone presented your canary token ${trip.tokenId}: wherever you planted it has leaked.`,
        `From ${trip.address}, user agent "${trip.userAgent}", ${trip.method} ${trip.path}.`,
        'The request was refused as if the token were revoked; nothing was granted.',
      ].join('\n'),
      data: {
        tokenId: trip.tokenId,
        owner: trip.username,
        address: trip.address,
        userAgent: trip.userAgent,
        method: trip.method,
        path: trip.path,
      },
    })
  }

  private forgetOld(now: number): void {
    if (this.lastAlert.size < 1024) return
    for (const [id, at] of this.lastAlert) if (now - at >= ALERT_EVERY_MS) this.lastAlert.delete(id)
  }
}
