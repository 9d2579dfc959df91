import { randomUUID } from 'node:crypto'
import type { Clock } from '../clock.ts'
import type { Queryable } from '../db/types.ts'
import { HEARTBEAT_MS } from '../resources/environments/gateway-nodes.ts'

/*
 * A node announces itself in gateway_nodes and refreshes its row: which environment,
 * where it listens, and the configuration version it serves. Deployment results read it
 * (src/resources/environments/gateway-nodes.ts) and tell live nodes by last_seen_at, so
 * the node also beats as soon as it applies a new version (`beat()`), not only every
 * HEARTBEAT_MS. Beats are written one after another: on a pool of connections a slower
 * older beat could otherwise land last and report a version the node has left. A missed
 * beat (the database is down) is simply retried at the next one.
 */

export class Heartbeat {
  readonly id = randomUUID()
  private timer: NodeJS.Timeout | undefined
  private readonly startedAt: string
  private last: Promise<void> = Promise.resolve()

  constructor(
    private readonly db: Queryable,
    private readonly environmentId: string,
    private readonly address: string,
    private readonly version: () => number,
    private readonly clock: Clock,
  ) {
    this.startedAt = clock.now().toISOString()
  }

  beat(): Promise<void> {
    this.last = this.last.then(() => this.write())
    return this.last
  }

  private async write(): Promise<void> {
    const now = this.clock.now().toISOString()
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
    await this.last
    await this.db
      .deleteFrom('gateway_nodes')
      .where('id', '=', this.id)
      .execute()
      .catch(() => {})
  }
}
