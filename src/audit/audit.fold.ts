import type { Clock } from '../clock.ts'
import { addressKey } from '../http/client-address.ts'

/**
 * Folding: a flood of failures (junk tokens, guessed passwords, denied requests) must
 * not write a row each. Failures are grouped by (client address, kind); in each window
 * the first `first` of a group are recorded as they are, the rest only counted, and
 * when the window ends one summary event says how many there were.
 *
 * A window ends when the next failure of its group arrives after it, when the sweep
 * timer finds it over, or when the recorder is closed (shutdown), so no count is lost.
 * State is per node: each node folds what it sees and writes its own summaries.
 * Memory is bounded: at most `maxAddresses` groups are tracked; past that, new
 * failures fold per kind across every address (one group per kind).
 */

export interface FoldSettings {
  windowMs: number
  /** Failures of a group recorded verbatim in each window (0: only the summary). */
  first: number
  /** Groups tracked per address at most; beyond this, per kind across addresses. */
  maxAddresses: number
}

/** Who the folded events were by, when every one of them was by the same. */
export interface FoldActor {
  userId: string | null
  username: string | null
  tokenId: string | null
  /** A login attempt's keyed hash: the same typed name in every folded attempt. */
  attemptHash: string | null
}

export interface FoldedEvent {
  kind: string
  clientIp: string
  userAgent: string
  outcome: string
  status: number
  actor: FoldActor
}

/** What a window counted, for the recorder to write as one event. */
export interface FoldSummary {
  kind: string
  /** The address (an IPv6 /64 as such), or MANY_ADDRESSES for the overflow group. */
  address: string
  count: number
  firstAt: Date
  lastAt: Date
  outcome: string
  status: number
  /** Shared by every folded event, or null where they differed. */
  userAgent: string | null
  actor: FoldActor | null
}

export const MANY_ADDRESSES = '(many addresses)'

interface Group {
  kind: string
  address: string
  startMs: number
  /** Recorded verbatim in this window. */
  seen: number
  count: number
  firstMs: number
  lastMs: number
  outcome: string
  status: number
  userAgent: string | null | undefined
  actor: FoldActor | null | undefined
}

/** The longest a summary waits for the timer after its window ended. */
const MAX_SWEEP_MS = 10_000
/** Bounds what a group keeps of a client address that is no IP address. */
const MAX_ADDRESS = 64

const sameActor = (a: FoldActor, b: FoldActor) =>
  a.userId === b.userId &&
  a.username === b.username &&
  a.tokenId === b.tokenId &&
  a.attemptHash === b.attemptHash

export class Folder {
  /** By address and kind, in window-start order (a new window moves to the end). */
  private readonly groups = new Map<string, Group>()
  /** By kind alone, once `groups` is full. */
  private readonly overflow = new Map<string, Group>()
  private timer: NodeJS.Timeout | null = null

  constructor(
    private readonly settings: FoldSettings,
    private readonly clock: Clock,
    private readonly emit: (summary: FoldSummary) => void,
  ) {}

  /** True: record this failure as it is; false: it was counted into its group. */
  admit(event: FoldedEvent): boolean {
    const now = this.clock.nowMs()
    const address = addressKey(event.clientIp)
    const key = `${address}|${event.kind}`
    let group = this.groups.get(key)
    if (group && now >= group.startMs + this.settings.windowMs) {
      this.end(group)
      this.groups.delete(key)
      group = undefined
    }
    if (!group) {
      const overflowing = this.groups.size >= this.settings.maxAddresses && !this.sweepAt(now)
      group = overflowing
        ? this.overflowGroup(event, now)
        : this.open(this.groups, key, event, displayAddress(address, event.clientIp), now)
    }
    this.startTimer()
    if (group.seen < this.settings.first) {
      group.seen += 1
      return true
    }
    this.count(group, event, now)
    return false
  }

  /** Ends every window now, writing the summaries of those that counted any. */
  closeAll(): void {
    for (const group of [...this.groups.values(), ...this.overflow.values()]) this.end(group)
    this.groups.clear()
    this.overflow.clear()
    this.stopTimer()
  }

  /** Groups tracked now (for the bound's test and for metrics). */
  get size(): number {
    return this.groups.size + this.overflow.size
  }

  private overflowGroup(event: FoldedEvent, now: number): Group {
    const group = this.overflow.get(event.kind)
    if (group && now < group.startMs + this.settings.windowMs) return group
    if (group) this.end(group)
    this.overflow.delete(event.kind)
    return this.open(this.overflow, event.kind, event, MANY_ADDRESSES, now)
  }

  private open(
    into: Map<string, Group>,
    key: string,
    event: FoldedEvent,
    address: string,
    now: number,
  ): Group {
    const group: Group = {
      kind: event.kind,
      address,
      startMs: now,
      seen: 0,
      count: 0,
      firstMs: now,
      lastMs: now,
      outcome: event.outcome,
      status: event.status,
      userAgent: undefined,
      actor: undefined,
    }
    into.set(key, group)
    return group
  }

  private count(group: Group, event: FoldedEvent, now: number): void {
    if (group.count === 0) {
      group.firstMs = now
      group.userAgent = event.userAgent
      group.actor = event.actor
    } else {
      if (group.userAgent !== event.userAgent) group.userAgent = null
      if (group.actor && !sameActor(group.actor, event.actor)) group.actor = null
    }
    group.count += 1
    group.lastMs = now
  }

  private end(group: Group): void {
    if (group.count === 0) return
    this.emit({
      kind: group.kind,
      address: group.address,
      count: group.count,
      firstAt: new Date(group.firstMs),
      lastAt: new Date(group.lastMs),
      outcome: group.outcome,
      status: group.status,
      userAgent: group.userAgent ?? null,
      actor: group.actor ?? null,
    })
  }

  /**
   * Ends the windows that are over. Windows start in map order, so it stops at the
   * first one still open: the cost is the number ended, not the number tracked.
   * True when it freed room.
   */
  private sweepAt(now: number): boolean {
    const before = this.groups.size
    for (const [key, group] of this.groups) {
      if (now < group.startMs + this.settings.windowMs) break
      this.end(group)
      this.groups.delete(key)
    }
    for (const [kind, group] of this.overflow) {
      if (now < group.startMs + this.settings.windowMs) continue
      this.end(group)
      this.overflow.delete(kind)
    }
    return this.groups.size < before
  }

  private startTimer(): void {
    if (this.timer) return
    const every = Math.min(this.settings.windowMs, MAX_SWEEP_MS)
    this.timer = setInterval(() => {
      this.sweepAt(this.clock.nowMs())
      if (this.size === 0) this.stopTimer()
    }, every)
    // A quiet server (or a CLI command) must not be kept alive by it.
    this.timer.unref()
  }

  private stopTimer(): void {
    if (this.timer) clearInterval(this.timer)
    this.timer = null
  }
}

/** How a summary names its address: an IP (or /64) as such, anything else as it came. */
function displayAddress(key: string, raw: string): string {
  const address = key.slice('ip:'.length)
  return address.startsWith('#') ? raw.slice(0, MAX_ADDRESS) : address
}
