/**
 * Child process entry: builds one server under test, listens on 127.0.0.1 on an
 * ephemeral port, reports the port, and answers CPU-usage probes until told to stop.
 * Started by bench/children.ts with `node --import tsx` (and optionally --cpu-prof).
 */
import { rmSync } from 'node:fs'
import Fastify, { type FastifyInstance } from 'fastify'
import pino from 'pino'
import { Type } from 'typebox'
import { buildApp, loggerOptions } from '../src/app.ts'
import { systemClock } from '../src/clock.ts'
import { createLocalBus } from '../src/cluster/events.ts'
import { loadConfig } from '../src/config.ts'
import { createDb } from '../src/db/create-db.ts'
import { migrateToLatest } from '../src/db/migrator.ts'
import { buildKeyRing } from '../src/keys.ts'
import { HelloParams, sayHello } from '../src/system/test.routes.ts'
import {
  type ChildMessage,
  HELLO_ROUTE,
  OPEN_HELLO_ROUTE,
  type ParentMessage,
  type StartMessage,
} from './protocol.ts'

/** Fastify options apiops' buildApp uses that matter to a plain GET, so the baseline differs only in the app. */
const SHARED_FASTIFY_OPTIONS = {
  logger: false,
  trustProxy: false,
  bodyLimit: 1024 * 1024,
  routerOptions: { ignoreTrailingSlash: true, maxParamLength: 500 },
} as const

function send(message: ChildMessage): void {
  process.send?.(message)
}

/** The baseline: the same route on a bare Fastify 5, no hooks, no schemas, no auth. */
function buildBare(): FastifyInstance {
  const app = Fastify(SHARED_FASTIFY_OPTIONS)
  app.get<{ Params: { name: string } }>(HELLO_ROUTE, async (request, reply) =>
    reply.type('text/plain; charset=utf-8').send(`Hello ${request.params.name}`),
  )
  return app
}

/** The real thing, opened the way `apiops serve` opens it, over the file the parent prepared. */
async function buildAuth(
  start: Extract<StartMessage, { target: 'auth' }>,
): Promise<FastifyInstance> {
  const config = loadConfig({
    APIOPS_SECRET_KEY: start.secretBase64,
    APIOPS_DATA_DIR: start.dataDir,
    LOG_LEVEL: start.logLevel,
  })
  const store = createDb({ databaseUrl: undefined, dataDir: config.dataDir })
  await migrateToLatest(store.db)
  const keys = buildKeyRing(Buffer.from(start.secretBase64, 'base64'))
  const events = createLocalBus()
  // As `apiops serve` makes it, writing where a collector would read (here: nowhere).
  const log = pino(
    loggerOptions(config.logLevel) as pino.LoggerOptions,
    pino.destination('/dev/null'),
  )
  const app = await buildApp({ config, store, clock: systemClock, events, keys, log })
  app.get<{ Params: { name: string } }>(
    OPEN_HELLO_ROUTE,
    { config: { public: true }, schema: { params: HelloParams, response: { 200: Type.String() } } },
    async (request, reply) => sayHello(request.params.name, reply),
  )
  // buildApp's own onClose flushes usage writes; the store is ours to close after it.
  app.addHook('onClose', async () => {
    await store.close()
  })
  return app
}

async function start(message: StartMessage): Promise<FastifyInstance> {
  const app = message.target === 'bare' ? buildBare() : await buildAuth(message)
  await app.listen({ host: '127.0.0.1', port: 0 })
  const address = app.server.address()
  if (address === null || typeof address === 'string') throw new Error('server has no TCP address')
  send({ type: 'ready', port: address.port })
  return app
}

function cpuSample(id: number): ChildMessage {
  const { user, system } = process.cpuUsage()
  return {
    type: 'cpu',
    id,
    cpuMicros: user + system,
    wallMicros: Number(process.hrtime.bigint() / 1000n),
  }
}

let app: FastifyInstance | undefined

async function stop(): Promise<void> {
  await app?.close()
  // A normal exit, so that --cpu-prof gets to write its profile.
  process.exit(0)
}

process.on('message', (message: ParentMessage) => {
  switch (message.type) {
    case 'start':
      if (message.target === 'auth') dataDir = message.dataDir
      start(message).then(
        (started) => {
          app = started
        },
        (error: unknown) => {
          const text = error instanceof Error ? (error.stack ?? error.message) : String(error)
          // Exit only once the message is out, or the parent would see a bare exit code.
          process.send?.({ type: 'failed', message: text } satisfies ChildMessage, () =>
            process.exit(1),
          )
        },
      )
      break
    case 'cpu':
      send(cpuSample(message.id))
      break
    case 'stop':
      void stop()
      break
  }
})

/** The auth server's temp dir, which the parent removes unless it was killed outright. */
let dataDir: string | undefined

// The parent died or let go of us: never linger as an orphan holding a port, and take
// the (possibly huge) temp database with us, since a SIGKILLed parent cannot.
process.on('disconnect', () => {
  if (dataDir) rmSync(dataDir, { recursive: true, force: true })
  process.exit(0)
})
