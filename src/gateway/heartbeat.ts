import { randomUUID } from 'node:crypto'
import type { Queryable } from '../db/types.ts'

/*
 * A node announces itself in gateway_nodes and refreshes its row: which environment,
 * where it listens, and the configuration version it serves. What reads it (deployment
 * results per node, an operator's list) can tell live nodes by last_seen_at. A missed
 * beat (the database is down) is simply retried at the next one.
 */

export const HEARTBEAT_MS = 10_000

export class Heartbeat {
  readonly id = randomUUID()
  private timer: NodeJS.Timeout | undefined
  private readonly startedAt = new Date().toISOString()

  constructor(
    private readonly db: Queryable,
    private readonly environmentId: string,
    private readonly address: string,
    private readonly version: () => number,
  ) {}

  async beat(): Promise<void> {
    const now = new Date().toISOString()
    const row = {
      id: this.id,
      environment_id: this.environmentId,
      address: this.address,
      started_at: this.startedAt,
      last_seen_at: now,
      config_version: this.version(),
    }
    try {
      await this.db
        .insertInto('gateway_nodes')
        .values(row)
        .onConflict((oc) =>
          oc.column('id').doUpdateSet({ last_seen_at: now, config_version: row.config_version }),
        )
        .execute()
    } catch {
      // The database is away: the node serves on, and beats again later.
    }
  }

  start(): void {
    void this.beat()
    this.timer = setInterval(() => void this.beat(), HEARTBEAT_MS)
    this.timer.unref()
  }

  async stop(): Promise<void> {
    clearInterval(this.timer)
    await this.db
      .deleteFrom('gateway_nodes')
      .where('id', '=', this.id)
      .execute()
      .catch(() => {})
  }
}
