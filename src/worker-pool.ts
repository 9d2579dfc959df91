import { parentPort, Worker, type WorkerOptions } from 'node:worker_threads'
import { type ApiError, errors } from './errors.ts'

/*
 * Untrusted documents (specs, MaxMind databases...) are read in worker threads: parsing
 * a large YAML spec took 207 s on the event loop, stalling every request. Each thread
 * has a memory cap and each job a wall-time limit; a thread that overruns either is
 * terminated (the next job gets a new one). A fixed number of jobs run at once, a few
 * more wait, and past that callers are told to come back. Threads are kept between jobs
 * (starting one costs up to a second under tsx) and ended when idle.
 *
 * A worker module posts 'ready' once loaded, then answers each job with one
 * `{ ok: true, value }` or `{ ok: false, problem }` (see workerAnswers below).
 */

export interface WorkerPoolLimits {
  /** From handing the document to a started thread to its answer. */
  timeoutMs: number
  /** Each thread's old-generation heap (V8 resourceLimits). */
  memoryMb: number
  /** Parses at once; QUEUE_PER_SLOT times as many may wait for one. */
  concurrency: number
}

const QUEUE_PER_SLOT = 4
/** An idle thread holds its heap; give it back after this long without a parse. */
const IDLE_MS = 30_000
/** Starting a thread is the server's business, not the document's: a limit of its own. */
const STARTUP_MS = 30_000

export type Outcome<T> = { ok: true; value: T } | { ok: false; problem: string }

/**
 * The worker module beside `importMetaUrl` named `name` (without extension): its .ts
 * source under tsx, its compiled .js in the build.
 */
export function workerModule(importMetaUrl: string, name: string): URL {
  return new URL(`./${name}${importMetaUrl.endsWith('.ts') ? '.ts' : '.js'}`, importMetaUrl)
}

function spawn(url: URL, memoryMb: number): Worker {
  return spawnWorker(url, { resourceLimits: { maxOldGenerationSizeMb: memoryMb } })
}

/** A thread running the worker module at `url`: under tsx its .ts source goes through tsx. */
export function spawnWorker(url: URL, given: WorkerOptions): Worker {
  // Nothing of the parent's flags (test runners, loaders): the worker needs none.
  const options = { ...given, execArgv: [] }
  if (!url.pathname.endsWith('.ts')) return new Worker(url, options)
  const tsx = JSON.stringify(import.meta.resolve('tsx/esm/api'))
  const code = `import(${tsx}).then((tsx) => { tsx.register(); return import(${JSON.stringify(url.href)}) })`
  return new Worker(code, { ...options, eval: true })
}

/** Waits for a new thread's 'ready' (its modules loaded); fails if it dies or hangs first. */
function started(worker: Worker, name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const settle = (finish: () => void) => {
      clearTimeout(timer)
      worker.off('message', onMessage).off('error', onFailure).off('exit', onFailure)
      finish()
    }
    const onMessage = (message: unknown) => {
      if (message === 'ready') settle(resolve)
    }
    const onFailure = (cause: unknown) =>
      settle(() => reject(new Error(`the ${name} worker failed to start`, { cause })))
    const timer = setTimeout(() => {
      void worker.terminate()
      onFailure(`no answer in ${STARTUP_MS} ms`)
    }, STARTUP_MS)
    worker.on('message', onMessage).on('error', onFailure).on('exit', onFailure)
  })
}

/** A view over a whole ArrayBuffer of its own, which can be moved to a thread. */
export function ownBuffer(bytes: Uint8Array): Uint8Array {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
    ? bytes
    : bytes.slice()
}

export interface WorkerPoolOptions extends WorkerPoolLimits {
  /** The worker module (see workerModule). */
  url: URL
  /** For messages: 'spec-parse', 'mmdb'... */
  name: string
  /** What a caller hears when every slot and queue place is taken. */
  busy: () => ApiError
  /** The end of the timeout and memory messages: what the caller can do instead. */
  advice: string
}

export class WorkerPool<Job extends { bytes: Uint8Array }, Value> {
  private running = 0
  private readonly waiting: (() => void)[] = []
  private readonly idle: { worker: Worker; timer: NodeJS.Timeout }[] = []
  private readonly threads = new Set<Worker>()

  constructor(private readonly options: WorkerPoolOptions) {}

  /** Threads alive now, busy or idle (for tests and metrics). */
  get threadCount(): number {
    return this.threads.size
  }

  /**
   * Runs one job off the event loop. `job.bytes` moves to the thread (the caller's view
   * is emptied); what is wrong with the document is a 400 on `field`.
   */
  async run(job: Job, field: string): Promise<Value> {
    await this.acquire()
    try {
      const outcome = await this.post({ ...job, bytes: ownBuffer(job.bytes) })
      if (!outcome.ok) throw errors.validationFailed([{ field, message: outcome.problem }])
      return outcome.value
    } finally {
      this.release()
    }
  }
  /** Ends every thread, busy or idle (server shutdown). */
  async close(): Promise<void> {
    for (const { timer } of this.idle.splice(0)) clearTimeout(timer)
    await Promise.all([...this.threads].map((w) => w.terminate()))
  }

  private async acquire(): Promise<void> {
    if (this.running < this.options.concurrency) {
      this.running++
      return
    }
    if (this.waiting.length >= this.options.concurrency * QUEUE_PER_SLOT) {
      throw this.options.busy()
    }
    // release() hands its slot straight to the first waiter, so running stays counted.
    await new Promise<void>((resolve) => this.waiting.push(resolve))
  }

  private release(): void {
    const next = this.waiting.shift()
    if (next) next()
    else this.running--
  }

  private async takeThread(): Promise<Worker> {
    const kept = this.idle.pop()
    if (kept) {
      clearTimeout(kept.timer)
      kept.worker.ref()
      return kept.worker
    }
    const worker = spawn(this.options.url, this.options.memoryMb)
    this.threads.add(worker)
    worker.once('exit', () => this.threads.delete(worker))
    await started(worker, this.options.name)
    return worker
  }

  private keepThread(worker: Worker): void {
    // An idle thread must not keep the process alive, nor its heap for long.
    worker.unref()
    const entry = {
      worker,
      timer: setTimeout(() => {
        this.idle.splice(this.idle.indexOf(entry), 1)
        void worker.terminate()
      }, IDLE_MS).unref(),
    }
    this.idle.push(entry)
  }

  private async post(job: Job): Promise<Outcome<Value>> {
    const { timeoutMs, memoryMb, name, advice } = this.options
    const worker = await this.takeThread()
    return new Promise((resolve, reject) => {
      const settle = (keep: boolean, finish: () => void) => {
        clearTimeout(timer)
        worker.off('message', onMessage).off('error', onError).off('exit', onExit)
        if (keep) this.keepThread(worker)
        else void worker.terminate()
        finish()
      }
      const onMessage = (outcome: Outcome<Value>) => settle(true, () => resolve(outcome))
      const onError = (error: Error & { code?: string }) =>
        settle(false, () =>
          error.code === 'ERR_WORKER_OUT_OF_MEMORY'
            ? resolve({
                ok: false,
                problem: `needed more than ${memoryMb} MB of memory to parse (the server's limit); ${advice}`,
              })
            : reject(error),
        )
      const onExit = (code: number) =>
        settle(false, () =>
          reject(new Error(`the ${name} worker exited (${code}) without answering`)),
        )
      const timer = setTimeout(
        () =>
          settle(false, () =>
            resolve({
              ok: false,
              problem: `took longer than ${timeoutMs} ms to parse (the server's limit); ${advice}`,
            }),
          ),
        timeoutMs,
      )
      worker.on('message', onMessage).on('error', onError).on('exit', onExit)
      worker.postMessage(job, [job.bytes.buffer as ArrayBuffer])
    })
  }
}

/**
 * The worker side: answers every job with handle's value, or with `problem(error)` when
 * it throws (words for the caller; never a stack). Posts 'ready' once loaded, so the
 * pool's clock measures the job only.
 */
export function answerJobs<Job, Value>(
  handle: (job: Job) => Promise<Value> | Value,
  problem: (error: unknown) => string,
): void {
  parentPort?.on('message', async (job: Job) => {
    try {
      parentPort?.postMessage({ ok: true, value: await handle(job) })
    } catch (error) {
      parentPort?.postMessage({ ok: false, problem: problem(error) })
    }
  })
  parentPort?.postMessage('ready')
}
