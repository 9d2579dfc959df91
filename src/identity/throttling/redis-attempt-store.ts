import type { Redis } from '../../cluster/redis.ts'
import {
  type AttemptStore,
  type Entry,
  type HitResult,
  StoreUnavailableError,
} from './attempt-store.ts'
import { type AttemptState, NONE } from './lock-rule.ts'

/**
 * One failure, atomically, in a Redis hash: the arithmetic of lock-rule.ts's
 * afterFailure. With ARGV[6] = '1' a key locked now is left as it is. Times come from
 * the caller's clock (ARGV), never Redis's, so every node and store judges by the same
 * time; the key's TTL only collects garbage. Answers {counted, failures, lockedUntil,
 * lockedBefore}.
 */
const HIT_SCRIPT = `
local now = tonumber(ARGV[1])
local maxFailures = tonumber(ARGV[2])
local base = tonumber(ARGV[3])
local maxLock = tonumber(ARGV[4])
local window = tonumber(ARGV[5])
local r = redis.call('HMGET', KEYS[1], 'failures', 'locked_until', 'expires_at')
local failures = tonumber(r[1]) or 0
local lockedUntil = tonumber(r[2]) or 0
local expiresAt = tonumber(r[3]) or 0
if expiresAt <= now then
  failures = 0
  lockedUntil = 0
  expiresAt = 0
end
local lockedBefore = 0
if lockedUntil > now then lockedBefore = lockedUntil end
if ARGV[6] == '1' and lockedBefore > 0 then
  return {0, failures, string.format('%d', lockedUntil), string.format('%d', lockedBefore)}
end
failures = failures + 1
if failures >= maxFailures then
  local lock = maxLock
  local doublings = failures - maxFailures
  if doublings < 40 then lock = math.min(maxLock, base * 2 ^ doublings) end
  if now + lock > lockedUntil then lockedUntil = now + lock end
end
local newExpiry = math.max(lockedUntil, now) + window
if expiresAt > newExpiry then newExpiry = expiresAt end
redis.call('HSET', KEYS[1], 'failures', string.format('%d', failures),
  'locked_until', string.format('%d', lockedUntil), 'expires_at', string.format('%d', newExpiry))
redis.call('PEXPIRE', KEYS[1], string.format('%d', newExpiry - now + 60000))
return {1, failures, string.format('%d', lockedUntil), string.format('%d', lockedBefore)}
`

/** Deletes the count unless it is locked now; answers the lock's end, or '0'. */
const CLEAR_SCRIPT = `
local now = tonumber(ARGV[1])
local r = redis.call('HMGET', KEYS[1], 'locked_until', 'expires_at')
local lockedUntil = tonumber(r[1]) or 0
local expiresAt = tonumber(r[2]) or 0
if expiresAt > now and lockedUntil > now then return string.format('%d', lockedUntil) end
redis.call('DEL', KEYS[1])
return '0'
`

interface LoginCommands {
  apiopsLoginHit(
    key: string,
    now: number,
    maxFailures: number,
    baseMs: number,
    maxLockMs: number,
    windowMs: number,
    unlessLocked: '0' | '1',
  ): Promise<[number, number, string, string]>
  apiopsLoginClear(key: string, now: number): Promise<string>
}

/** The command's answer, or StoreUnavailableError when Redis could not give one. */
async function call<T>(command: () => Promise<T>): Promise<T> {
  try {
    return await command()
  } catch (error) {
    throw new StoreUnavailableError(error)
  }
}

/** A pipeline's results, or StoreUnavailableError for the first failure. */
async function runPipeline(
  pipeline: { exec(): Promise<[Error | null, unknown][] | null> },
  what: string,
): Promise<unknown[]> {
  const results = await call(() => pipeline.exec())
  if (!results) throw new StoreUnavailableError(new Error(`${what}: no answer`))
  return results.map(([error, value]) => {
    if (error) throw new StoreUnavailableError(error)
    return value
  })
}

/**
 * Counts in Redis, one hash per key (`<prefix>login:user:alice`). One round trip per
 * operation; each key is its own script call, so Redis Cluster may place them anywhere.
 */
export class RedisAttemptStore implements AttemptStore {
  private readonly commands: LoginCommands

  constructor(private readonly redis: Redis) {
    redis.defineCommand('apiopsLoginHit', { numberOfKeys: 1, lua: HIT_SCRIPT })
    redis.defineCommand('apiopsLoginClear', { numberOfKeys: 1, lua: CLEAR_SCRIPT })
    this.commands = redis as unknown as LoginCommands
  }

  private static key(key: string): string {
    return `login:${key}`
  }

  async get(keys: readonly string[], now: number): Promise<AttemptState[]> {
    const pipeline = this.redis.pipeline()
    for (const key of keys) {
      pipeline.hmget(RedisAttemptStore.key(key), 'failures', 'locked_until', 'expires_at')
    }
    const results = await runPipeline(pipeline, 'login get')
    return results.map((value) => {
      const [failures, lockedUntil, expiresAt] = (value as (string | null)[]).map(Number)
      if (!failures || !expiresAt || expiresAt <= now) return NONE
      return { failures, lockedUntil: lockedUntil ?? 0 }
    })
  }

  async hit({ key, rule }: Entry, now: number, unlessLocked: boolean): Promise<HitResult> {
    const [counted, failures, lockedUntil, lockedBefore] = await call(() =>
      this.commands.apiopsLoginHit(
        RedisAttemptStore.key(key),
        now,
        rule.maxFailures,
        rule.baseMs,
        rule.maxLockMs,
        rule.windowMs,
        unlessLocked ? '1' : '0',
      ),
    )
    return {
      state: { failures: Number(failures), lockedUntil: Number(lockedUntil) },
      lockedBefore: Number(lockedBefore),
      counted: Number(counted) === 1,
    }
  }

  async clearUnlessLocked(key: string, now: number): Promise<number> {
    const answer = await call(() => this.commands.apiopsLoginClear(RedisAttemptStore.key(key), now))
    return Number(answer)
  }
}
