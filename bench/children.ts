/**
 * Starting, probing and stopping the servers under test, each in its own process, and
 * making sure none outlives the bench: every child and temp dir is registered here and
 * removed on any exit, including a crash or Ctrl-C.
 */
import { type ChildProcess, fork } from 'node:child_process'
import { rmSync } from 'node:fs'
import { relative } from 'node:path'
import { ensureServerBuilt, SERVER_ENTRY } from '../scripts/ensure-build.js'
import type { ChildMessage, ParentMessage, StartMessage } from './protocol.ts'

const STARTUP_TIMEOUT_MS = 60_000
const PROBE_TIMEOUT_MS = 10_000
const STOP_TIMEOUT_MS = 10_000

const liveChildren = new Set<ChildProcess>()
const tempDirs = new Set<string>()

/** Synchronous on purpose: 'exit' handlers cannot wait. */
function cleanUpEverything(): void {
  for (const child of liveChildren) if (child.exitCode === null) child.kill('SIGKILL')
  liveChildren.clear()
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true })
  tempDirs.clear()
}

let handlersInstalled = false

export function installCleanupHandlers(): void {
  if (handlersInstalled) return
  handlersInstalled = true
  process.on('exit', cleanUpEverything)
  // Turning signals into a normal exit runs the 'exit' handler above.
  process.on('SIGINT', () => process.exit(130))
  process.on('SIGTERM', () => process.exit(143))
}

/** Killed when the bench exits, whatever the reason (for children not started by startServer). */
export function registerChild(child: ChildProcess): void {
  liveChildren.add(child)
  child.on('exit', () => liveChildren.delete(child))
}

/** Removed when the bench exits, whatever the reason. */
export function registerTempDir(dir: string): void {
  tempDirs.add(dir)
}

export interface ServerHandle {
  readonly name: string
  readonly port: number
  /** The child's CPU and wall time (µs); two samples give its utilisation in between. */
  cpuSample(): Promise<{ cpuMicros: number; wallMicros: number }>
  stop(): Promise<void>
}

export interface StartOptions {
  /** Directory for a V8 CPU profile of this child (written when it stops); none means no profiling. */
  cpuProfileDir?: string
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

/** Resolves with the first message of the given type; rejects if the child exits first. */
function nextMessage<T extends ChildMessage['type']>(
  child: ChildProcess,
  type: T,
  matches: (message: Extract<ChildMessage, { type: T }>) => boolean = () => true,
): Promise<Extract<ChildMessage, { type: T }>> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: ChildMessage) => {
      if (message.type === 'failed') {
        done()
        reject(new Error(`server child failed: ${message.message}`))
      } else if (message.type === type && matches(message as Extract<ChildMessage, { type: T }>)) {
        done()
        resolve(message as Extract<ChildMessage, { type: T }>)
      }
    }
    const onExit = (code: number | null, signal: string | null) => {
      done()
      reject(
        new Error(
          `server child exited (code ${code}, signal ${signal}) while waiting for '${type}'`,
        ),
      )
    }
    const done = () => {
      child.off('message', onMessage)
      child.off('exit', onExit)
    }
    child.on('message', onMessage)
    child.on('exit', onExit)
  })
}

let built: Promise<string> | undefined

/** The servers inherit the environment, so bin/v8-tuning.js reads the same switch there. */
function pretenuring(): string {
  const setting = process.env.APIOPS_V8_PRETENURING
  return setting
    ? `APIOPS_V8_PRETENURING=${setting}`
    : 'V8 pretenuring off (APIOPS_V8_PRETENURING unset: the default)'
}

/**
 * The servers under test run the compiled build, as `npm start` does: this builds dist/
 * when it is missing or older than src/ (scripts/ensure-build.js, as prestart does) and
 * says which build the numbers are about.
 */
export function ensureCompiledServer(): Promise<string> {
  built ??= ensureServerBuilt().then(
    (rebuilt) =>
      `servers under test: the compiled build (${relative(process.cwd(), SERVER_ENTRY)}, ` +
      `${rebuilt ? 'built just now from src/' : 'up to date with src/'}), plain node without a ` +
      `TypeScript loader, bin/v8-tuning.js loaded first: what npm start runs; ${pretenuring()}`,
  )
  return built
}

export async function startServer(
  name: string,
  start: StartMessage,
  options: StartOptions = {},
): Promise<ServerHandle> {
  await ensureCompiledServer()
  // Plain node, as `npm start` runs apiops: no TypeScript loader inherited from the bench
  // (which runs under tsx). server.js loads bin/v8-tuning.js first, as bin/apiops.js does.
  const execArgv: string[] = []
  if (options.cpuProfileDir) execArgv.push('--cpu-prof', '--cpu-prof-dir', options.cpuProfileDir)
  const child = fork(new URL('./server.js', import.meta.url), [], {
    execArgv,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  liveChildren.add(child)
  child.on('exit', () => liveChildren.delete(child))
  const post = (message: ParentMessage) => child.send(message)

  const ready = nextMessage(child, 'ready')
  post(start)
  const { port } = await withTimeout(ready, STARTUP_TIMEOUT_MS, `starting the ${name} server`)

  let probeId = 0
  return {
    name,
    port,
    async cpuSample() {
      const id = ++probeId
      const reply = nextMessage(child, 'cpu', (m) => m.id === id)
      post({ type: 'cpu', id })
      const { cpuMicros, wallMicros } = await withTimeout(
        reply,
        PROBE_TIMEOUT_MS,
        `${name} CPU probe`,
      )
      return { cpuMicros, wallMicros }
    },
    async stop() {
      if (child.exitCode !== null) return
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
      post({ type: 'stop' })
      await withTimeout(exited, STOP_TIMEOUT_MS, `stopping the ${name} server`).catch(() => {
        child.kill('SIGKILL')
      })
    },
  }
}
