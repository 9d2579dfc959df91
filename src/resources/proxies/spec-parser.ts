import { Worker } from 'node:worker_threads'
import { errors } from '../../errors.ts'
import type { ImportedSpec, SpecKind } from './spec-parse.ts'
import type { ParseJob } from './spec-parse.worker.ts'
import type { ZipOptions } from './spec-zip.ts'

/*
 * Parsing a spec takes seconds for a large YAML document (a 5 MB one took 207 s on the
 * event loop, stalling every request). So parses run in worker threads, each with a
 * memory cap, under a wall-time limit, and a thread that overruns either is terminated
 * (the next parse gets a new one). A fixed number of parses run at once, a few more
 * wait, and past that callers are told to come back. Threads are kept between parses
 * (starting one costs up to a second under tsx) and ended when idle.
 */

export interface SpecParserLimits {
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

type Outcome =
  | { ok: true; spec?: ImportedSpec; files?: Map<string, Uint8Array> }
  | { ok: false; problem: string }

const WORKER_URL = new URL(
  import.meta.url.endsWith('.ts') ? './spec-parse.worker.ts' : './spec-parse.worker.js',
  import.meta.url,
)

/**
 * Running the TypeScript sources (tests, benches) the thread must load TypeScript too,
 * and tsx does not register itself in worker threads on Node 20 (neither from `--import`
 * nor inherited), so the thread registers it before importing the worker. The compiled
 * build (dist/, what `npm start` runs) loads the JavaScript worker directly, without tsx.
 */
function spawn(memoryMb: number): Worker {
  const options = {
    resourceLimits: { maxOldGenerationSizeMb: memoryMb },
    // Nothing of the parent's flags (test runners, loaders): the worker needs none.
    execArgv: [],
  }
  if (!WORKER_URL.pathname.endsWith('.ts')) return new Worker(WORKER_URL, options)
  const tsx = JSON.stringify(import.meta.resolve('tsx/esm/api'))
  const code = `import(${tsx}).then((tsx) => { tsx.register(); return import(${JSON.stringify(WORKER_URL.href)}) })`
  return new Worker(code, { ...options, eval: true })
}

/** Waits for a new thread's 'ready' (its modules loaded); fails if it dies or hangs first. */
function started(worker: Worker): Promise<void> {
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
      settle(() => reject(new Error('the spec-parse worker failed to start', { cause })))
    const timer = setTimeout(() => {
      void worker.terminate()
      onFailure(`no answer in ${STARTUP_MS} ms`)
    }, STARTUP_MS)
    worker.on('message', onMessage).on('error', onFailure).on('exit', onFailure)
  })
}

/** A view over a whole ArrayBuffer of its own, which can be moved to a thread. */
function ownBuffer(bytes: Uint8Array): Uint8Array {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
    ? bytes
    : bytes.slice()
}

export class SpecParser {
  private running = 0
  private readonly waiting: (() => void)[] = []
  private readonly idle: { worker: Worker; timer: NodeJS.Timeout }[] = []
  private readonly threads = new Set<Worker>()

  constructor(private readonly limits: SpecParserLimits) {}

  /** Threads alive now, busy or idle (for tests and metrics). */
  get threadCount(): number {
    return this.threads.size
  }

  /**
   * Reads a spec off the event loop. `bytes` moves to the thread (the caller's view is
   * emptied); what is wrong with the document is a 400 on `field`.
   */
  async parse(bytes: Uint8Array, kind: SpecKind, field: string): Promise<ImportedSpec> {
    const outcome = await this.job({ bytes: ownBuffer(bytes), kind }, field)
    return outcome.spec as ImportedSpec
  }

  /**
   * Unpacks an archive (a proxy export) off the event loop, in the same threads and
   * under the same limits as a spec; what is unsafe about it is a 400 on `field`.
   */
  async readArchive(
    bytes: Uint8Array,
    zip: ZipOptions,
    field: string,
  ): Promise<Map<string, Uint8Array>> {
    const outcome = await this.job({ bytes: ownBuffer(bytes), kind: 'ARCHIVE', zip }, field)
    return outcome.files as Map<string, Uint8Array>
  }

  private async job(job: ParseJob, field: string) {
    await this.acquire()
    try {
      const outcome = await this.run(job)
      if (!outcome.ok) throw errors.validationFailed([{ field, message: outcome.problem }])
      return outcome
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
    if (this.running < this.limits.concurrency) {
      this.running++
      return
    }
    if (this.waiting.length >= this.limits.concurrency * QUEUE_PER_SLOT) {
      throw errors.specImportsBusy()
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
    const worker = spawn(this.limits.memoryMb)
    this.threads.add(worker)
    worker.once('exit', () => this.threads.delete(worker))
    await started(worker)
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

  private async run(job: ParseJob): Promise<Outcome> {
    const { timeoutMs, memoryMb } = this.limits
    const worker = await this.takeThread()
    return new Promise((resolve, reject) => {
      const settle = (keep: boolean, finish: () => void) => {
        clearTimeout(timer)
        worker.off('message', onMessage).off('error', onError).off('exit', onExit)
        if (keep) this.keepThread(worker)
        else void worker.terminate()
        finish()
      }
      const onMessage = (outcome: Outcome) => settle(true, () => resolve(outcome))
      const onError = (error: Error & { code?: string }) =>
        settle(false, () =>
          error.code === 'ERR_WORKER_OUT_OF_MEMORY'
            ? resolve({
                ok: false,
                problem: `needed more than ${memoryMb} MB of memory to parse (the server's limit); import a smaller document`,
              })
            : reject(error),
        )
      const onExit = (code: number) =>
        settle(false, () =>
          reject(new Error(`the spec-parse worker exited (${code}) without answering`)),
        )
      const timer = setTimeout(
        () =>
          settle(false, () =>
            resolve({
              ok: false,
              problem: `took longer than ${timeoutMs} ms to parse (the server's limit); import a smaller document`,
            }),
          ),
        timeoutMs,
      )
      worker.on('message', onMessage).on('error', onError).on('exit', onExit)
      worker.postMessage(job, [job.bytes.buffer as ArrayBuffer])
    })
  }
}
