/**
 * Where does authenticateBearer spend its time? Times each step of the Bearer hot path
 * in isolation, in one process, on a real SQLite file, with a warm cache (the state the
 * HTTP bench runs in). Companion to auth.bench.ts, for when its ratio disappoints.
 *
 *   node --import tsx bench/auth-pieces.bench.ts
 */
import { createHmac, createSecretKey, timingSafeEqual } from 'node:crypto'
import { rmSync } from 'node:fs'
import { createDecoder, createVerifier } from 'fast-jwt'
import { systemClock } from '../src/clock.ts'
import { createLocalBus } from '../src/cluster/events.ts'
import { closeServices, createServices } from '../src/composition.ts'
import { loadConfig } from '../src/config.ts'
import { createDb } from '../src/db/create-db.ts'
import { migrateToLatest } from '../src/db/migrator.ts'
import { authenticateBearer } from '../src/identity/bearer/bearer-check.ts'
import { NEVER_EXPIRES } from '../src/identity/tokens/expiry.ts'
import { hashToken } from '../src/identity/tokens/token-format.ts'
import { issueToken } from '../src/identity/tokens/tokens.service.ts'
import { createUser } from '../src/identity/users/users.service.ts'
import { buildKeyRing } from '../src/keys.ts'
import { makeTempDir } from './fixture.ts'

const ITERATIONS = 200_000
const BATCHES = 5

/**
 * µs per call: the best of BATCHES batch means, after a warm-up of the same length so
 * the JIT has settled. The best batch, because on a shared machine interference only
 * ever adds time.
 */
async function time(
  fn: () => unknown | Promise<unknown>,
  iterations = ITERATIONS,
): Promise<number> {
  for (let i = 0; i < iterations; i++) await fn()
  const perBatch = Math.ceil(iterations / BATCHES)
  let best = Number.POSITIVE_INFINITY
  for (let b = 0; b < BATCHES; b++) {
    const start = process.hrtime.bigint()
    for (let i = 0; i < perBatch; i++) await fn()
    best = Math.min(best, Number(process.hrtime.bigint() - start) / 1000 / perBatch)
  }
  return best
}

async function main(): Promise<void> {
  const dir = makeTempDir()
  try {
    const secret = Buffer.alloc(32, 7)
    const config = loadConfig({
      APIOPS_SECRET_KEY: secret.toString('base64'),
      APIOPS_DATA_DIR: dir,
    })
    const store = createDb({ databaseUrl: undefined, dataDir: dir })
    await migrateToLatest(store.db)
    const keys = buildKeyRing(secret)
    const deps = { config, store, clock: systemClock, events: createLocalBus(), keys }
    const services = createServices(deps, () => {})
    const user = await createUser(services, { username: 'pieces', password: 'pieces password' })
    const { token } = await issueToken(services, {
      userId: user.id,
      name: 't',
      source: 'cli',
      expiresAt: NEVER_EXPIRES,
    })
    const header = `Bearer ${token}`
    const key = keys.current
    const verifier = createVerifier({
      key: key.signing,
      algorithms: ['HS256'],
      ignoreExpiration: true,
    })
    const cachedVerifier = createVerifier({ key: key.signing, algorithms: ['HS256'], cache: true })
    const decodeComplete = createDecoder({ complete: true })
    const pepperKey = createSecretKey(key.pepper)
    const expected = hashToken(token, key)
    const dataVersion = store.dataVersion as () => number
    const claimsJti = (verifier(token) as { jti: string }).jti
    await authenticateBearer(services, header, '127.0.0.1') // fills the caches

    const rows: [string, number][] = [
      [
        'authenticateBearer, whole (warm caches)',
        await time(() => authenticateBearer(services, header, '127.0.0.1')),
      ],
      [
        '  codec.verify, as the hot path calls it',
        await time(() => services.codec.verify(token, new Date())),
      ],
      [
        '    fast-jwt decode {complete:true} (header check)',
        await time(() => decodeComplete(token)),
      ],
      ['    fast-jwt verifier (decode + HMAC + claims)', await time(() => verifier(token))],
      ['    fast-jwt verifier with cache:true (hit)', await time(() => cachedVerifier(token))],
      [
        '  cache.syncWithStore, as the hot path calls it',
        await time(() => services.cache.syncWithStore()),
      ],
      ['    store.dataVersion() alone', await time(() => dataVersion())],
      ['  cache.tokens.get', await time(() => services.cache.tokens.get(claimsJti))],
      ['  hashToken (createHmac with a Buffer key)', await time(() => hashToken(token, key))],
      [
        '    same HMAC with a KeyObject key',
        await time(() => createHmac('sha256', pepperKey).update(token).digest('base64url')),
      ],
      [
        '  sameHash (2 Buffer.from + timingSafeEqual)',
        await time(() => timingSafeEqual(Buffer.from(expected), Buffer.from(expected))),
      ],
      ['  cache.users.get', await time(() => services.cache.users.get(user.id))],
      ['  systemClock.now() + toISOString()', await time(() => systemClock.now().toISOString())],
    ]
    console.log(
      `µs per call, best of ${BATCHES} batches of ${(ITERATIONS / BATCHES).toLocaleString('en-US')} (node ${process.version})`,
    )
    for (const [name, micros] of rows) console.log(`${micros.toFixed(2).padStart(8)}  ${name}`)
    await closeServices(services)
    await store.close()
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

await main()
