/**
 * What other nodes (and this one) must hear about: anything that can make a cached
 * token or user stale. Payloads carry ids only, never secrets.
 */
export type ClusterEvent =
  | { type: 'token.revoked'; tokenId: string }
  | { type: 'user.changed'; userId: string }
  | { type: 'user.tokens-revoked'; userId: string }
  /** Everything cached may be stale (a reconnect after missed events, another process wrote). */
  | { type: 'cache.flush' }
  /** An administrator changed a runtime setting: every node reloads them. */
  | { type: 'settings.changed' }
  /** What an environment's gateways serve changed (a deploy, redeploy or undeploy). */
  | { type: 'deployments.changed'; environmentId: string }

export type Listener = (event: ClusterEvent) => void

export interface EventBus {
  /** Delivers to this node's listeners before returning, then to the other nodes. */
  publish(event: ClusterEvent): Promise<void>
  subscribe(listener: Listener): () => void
  close(): Promise<void>
}

/** Listeners of this process; the base of every bus. */
export class LocalListeners {
  private readonly listeners = new Set<Listener>()

  add(listener: Listener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  deliver(event: ClusterEvent): void {
    for (const listener of this.listeners) listener(event)
  }
}

/** One process, one node: delivery is a function call. */
export function createLocalBus(): EventBus {
  const local = new LocalListeners()
  return {
    publish: async (event) => local.deliver(event),
    subscribe: (listener) => local.add(listener),
    close: async () => {},
  }
}

export function isClusterEvent(value: unknown): value is ClusterEvent {
  const v = value as Record<string, unknown>
  if (!v || typeof v !== 'object') return false
  switch (v.type) {
    case 'token.revoked':
      return typeof v.tokenId === 'string'
    case 'user.changed':
    case 'user.tokens-revoked':
      return typeof v.userId === 'string'
    case 'deployments.changed':
      return typeof v.environmentId === 'string'
    case 'cache.flush':
    case 'settings.changed':
      return true
    default:
      return false
  }
}
