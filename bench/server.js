/**
 * Child process: one server under test, listens on 127.0.0.1 on an ephemeral port,
 * reports the port, and answers CPU-usage probes until told to stop. Started by
 * bench/children.ts with plain `node` (optionally --cpu-prof).
 *
 * What ships, run the way `npm start` runs it: plain JavaScript with no TypeScript
 * loader, the V8 settings of bin/v8-tuning.js loaded first (as bin/apiops.js does), and
 * apiops itself from the compiled build in dist/ (the bench builds it first when it is
 * missing or older than src/). Types come from src/ through JSDoc; the code from dist/.
 */
import '../bin/v8-tuning.js'

// Everything else is imported only now, as bin/apiops.js does: a static import would be
// fetched and parsed before bin/v8-tuning.js runs, and the heap would grow first.
const { rmSync } = await import('node:fs')
const { default: Fastify } = await import('fastify')
const { default: pino } = await import('pino')
const { Type } = await import('typebox')
const { HELLO_ROUTE, OPEN_HELLO_ROUTE } = await import('./routes.js')

/** @typedef {import('./protocol.ts').ChildMessage} ChildMessage */
/** @typedef {import('./protocol.ts').ParentMessage} ParentMessage */
/** @typedef {import('./protocol.ts').StartMessage} StartMessage */
/** @typedef {Extract<StartMessage, { target: 'auth' }>} AuthStart */
/** @typedef {import('fastify').FastifyInstance} FastifyInstance */

/** @param {string} path @returns {string} the module in the compiled build */
const compiled = (path) => new URL(`../dist/${path}`, import.meta.url).href

/** @type {typeof import('../src/app.ts')} */
const { buildApp, loggerOptions } = await import(compiled('app.js'))
/** @type {typeof import('../src/clock.ts')} */
const { systemClock } = await import(compiled('clock.js'))
/** @type {typeof import('../src/cluster/events.ts')} */
const { createLocalBus } = await import(compiled('cluster/events.js'))
/** @type {typeof import('../src/config.ts')} */
const { loadConfig } = await import(compiled('config.js'))
/** @type {typeof import('../src/db/create-db.ts')} */
const { createDb } = await import(compiled('db/create-db.js'))
/** @type {typeof import('../src/db/migrator.ts')} */
const { migrateToLatest } = await import(compiled('db/migrator.js'))
/** @type {typeof import('../src/keys.ts')} */
const { buildKeyRing } = await import(compiled('keys.js'))
/** @type {typeof import('../src/system/test.routes.ts')} */
const { HelloParams, sayHello } = await import(compiled('system/test.routes.js'))

/** Fastify options apiops' buildApp uses that matter to a plain GET, so the baseline differs only in the app. */
const SHARED_FASTIFY_OPTIONS = {
  logger: false,
  trustProxy: false,
  bodyLimit: 1024 * 1024,
  routerOptions: { ignoreTrailingSlash: true, maxParamLength: 500 },
}

/** @param {ChildMessage} message */
function send(message) {
  process.send?.(message)
}

/** The baseline: the same route on a bare Fastify 5, no hooks, no schemas, no auth. */
function buildBare() {
  const app = Fastify(SHARED_FASTIFY_OPTIONS)
  app.get(HELLO_ROUTE, async (request, reply) =>
    reply
      .type('text/plain; charset=utf-8')
      .send(`Hello ${/** @type {{ name: string }} */ (request.params).name}`),
  )
  return app
}

/**
 * The real thing, opened the way `apiops serve` opens it, over the file the parent prepared.
 * @param {AuthStart} start
 * @returns {Promise<FastifyInstance>}
 */
async function buildAuth(start) {
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
    /** @type {import('pino').LoggerOptions} */ (loggerOptions(config.logLevel)),
    pino.destination('/dev/null'),
  )
  const app = await buildApp({ config, store, clock: systemClock, events, keys, log })
  app.get(
    OPEN_HELLO_ROUTE,
    { config: { public: true }, schema: { params: HelloParams, response: { 200: Type.String() } } },
    async (request, reply) =>
      sayHello(/** @type {{ name: string }} */ (request.params).name, reply),
  )
  // buildApp's own onClose flushes usage writes; the store is ours to close after it.
  app.addHook('onClose', async () => {
    await store.close()
  })
  return /** @type {FastifyInstance} */ (/** @type {unknown} */ (app))
}

/** @param {StartMessage} message */
async function start(message) {
  const app = message.target === 'bare' ? buildBare() : await buildAuth(message)
  await app.listen({ host: '127.0.0.1', port: 0 })
  const address = app.server.address()
  if (address === null || typeof address === 'string') throw new Error('server has no TCP address')
  send({ type: 'ready', port: address.port })
  return app
}

/** @param {number} id @returns {ChildMessage} */
function cpuSample(id) {
  const { user, system } = process.cpuUsage()
  return {
    type: 'cpu',
    id,
    cpuMicros: user + system,
    wallMicros: Number(process.hrtime.bigint() / 1000n),
  }
}

/** @type {FastifyInstance | undefined} */
let app
/** The auth server's temp dir, which the parent removes unless it was killed outright. */
/** @type {string | undefined} */
let dataDir

async function stop() {
  await app?.close()
  // A normal exit, so that --cpu-prof gets to write its profile.
  process.exit(0)
}

process.on('message', (/** @type {ParentMessage} */ message) => {
  switch (message.type) {
    case 'start':
      if (message.target === 'auth') dataDir = message.dataDir
      start(message).then(
        (started) => {
          app = started
        },
        (/** @type {unknown} */ error) => {
          const text = error instanceof Error ? (error.stack ?? error.message) : String(error)
          /** @type {ChildMessage} */
          const failed = { type: 'failed', message: text }
          // Exit only once the message is out, or the parent would see a bare exit code.
          process.send?.(failed, () => process.exit(1))
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

// The parent died or let go of us: never linger as an orphan holding a port, and take
// the (possibly huge) temp database with us, since a SIGKILLed parent cannot.
process.on('disconnect', () => {
  if (dataDir) rmSync(dataDir, { recursive: true, force: true })
  process.exit(0)
})
