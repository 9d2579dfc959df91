import { randomUUID } from 'node:crypto'
import type pg from 'pg'
import { type EventBus, isClusterEvent, LocalListeners } from './events.ts'

const CHANNEL = 'apiops_events'

export interface PgBusLogger {
  warn(obj: object, msg: string): void
  info(obj: object, msg: string): void
}

/** Delivers other nodes' events to this node's listeners; its own come back and are dropped. */
function notificationHandler(local: LocalListeners, nodeId: string, log: PgBusLogger) {
  return (msg: pg.Notification): void => {
    if (msg.channel !== CHANNEL || !msg.payload) return
    try {
      const { from, event } = JSON.parse(msg.payload) as { from: string; event: unknown }
      if (from !== nodeId && isClusterEvent(event)) local.deliver(event)
    } catch {
      log.warn({}, 'ignored a malformed cluster event')
    }
  }
}

/**
 * PostgreSQL LISTEN/NOTIFY between nodes (and the CLI). One dedicated connection
 * listens; if it drops, the node reconnects with backoff and flushes its caches,
 * since events sent while it was away are lost.
 */
export function createPgBus(pool: pg.Pool, log: PgBusLogger): EventBus {
  const local = new LocalListeners()
  const nodeId = randomUUID()
  let client: pg.PoolClient | undefined
  let closed = false
  let retryMs = 100
  let timer: NodeJS.Timeout | undefined

  const onNotification = notificationHandler(local, nodeId, log)

  const connect = async (): Promise<void> => {
    if (closed) return
    try {
      const c = await pool.connect()
      c.on('notification', onNotification)
      c.on('error', () => dropped(c))
      c.on('end', () => dropped(c))
      await c.query(`LISTEN ${CHANNEL}`)
      client = c
      retryMs = 100
      // Anything published while we were not listening is lost: start clean.
      local.deliver({ type: 'cache.flush' })
    } catch (error) {
      log.warn(
        { err: (error as Error).message, retryMs },
        'cluster event bus: connect failed, retrying',
      )
      schedule()
    }
  }

  const schedule = () => {
    if (closed || timer) return
    timer = setTimeout(() => {
      timer = undefined
      void connect()
    }, retryMs)
    timer.unref()
    retryMs = Math.min(retryMs * 2, 5000)
  }

  const dropped = (c: pg.PoolClient) => {
    if (client !== c) return
    client = undefined
    try {
      c.release(true)
    } catch {}
    if (closed) return
    log.warn({}, 'cluster event bus: connection lost, reconnecting')
    local.deliver({ type: 'cache.flush' })
    schedule()
  }

  const ready = connect()

  return {
    async publish(event) {
      local.deliver(event)
      await pool.query('SELECT pg_notify($1, $2)', [
        CHANNEL,
        JSON.stringify({ from: nodeId, event }),
      ])
    },
    subscribe: (listener) => local.add(listener),
    async close() {
      closed = true
      if (timer) clearTimeout(timer)
      await ready
      const c = client
      client = undefined
      if (c) {
        await c.query(`UNLISTEN ${CHANNEL}`).catch(() => {})
        c.release()
      }
    },
  }
}
