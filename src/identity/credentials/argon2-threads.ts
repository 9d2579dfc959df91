import { createRequire } from 'node:module'
import { Worker } from 'node:worker_threads'

/**
 * argon2 verifies on threads of their own, below the event loop's priority. In libuv's
 * thread pool (where @node-rs/argon2 runs them by default) four verifies at once on two
 * cores took the CPU from the event loop as an equal: the health check's p99 went from
 * 2 to 17 ms under login load. Here each thread lowers its own scheduling priority
 * (nice, per thread on Linux) once, so the event loop runs as soon as it has work and
 * the verifies use every cycle it leaves: throughput stays that of the pool. Where the
 * priority cannot be lowered the threads simply run at the normal one.
 *
 * Threads start on demand (a few ms: plain JavaScript, no loader), take jobs in order,
 * and end after a while idle; an idle thread never keeps the process alive. How many
 * verifies reach here at once is the login throttle's business (password-check-gate.ts).
 */

/**
 * Nice value of the verifying threads: the event loop (0) weighs 3x as much, enough to
 * come first; 10 (10x) did no better for it and let other busy processes on a shared
 * host starve the verifies (logins fell to a tenth of raw while the machine was loaded).
 */
export const VERIFY_NICE = 5
/** An idle thread holds a heap; give it back after this long without a verify. */
const IDLE_MS = 30_000
/** A bound for the absurd; the gate keeps the real number at the thread pool's size. */
const MAX_THREADS = 64

const ARGON2_MODULE = createRequire(import.meta.url).resolve('@node-rs/argon2')

// CommonJS, evaluated: the same in development (tsx) and in the compiled build.
const THREAD_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads')
try { require('node:os').setPriority(0, workerData.nice) } catch {}
const { verifySync } = require(workerData.argon2)
parentPort.on('message', ({ hash, password }) => {
  let ok = false
  // A hash that does not parse verifies nothing: a wrong password, as in the pool.
  try { ok = verifySync(hash, password) } catch {}
  parentPort.postMessage(ok)
})
`

interface Job {
  hash: string
  password: string
  resolve(ok: boolean): void
  reject(error: Error): void
}

interface Thread {
  worker: Worker
  job: Job | undefined
  idleTimer: NodeJS.Timeout | undefined
}

export class Argon2Threads {
  private readonly threads = new Set<Thread>()
  private readonly queue: Job[] = []

  constructor(private readonly maxThreads = MAX_THREADS) {}

  verify(hash: string, password: string): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.queue.push({ hash, password, resolve, reject })
      this.dispatch()
    })
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      const thread = [...this.threads].find((t) => t.job === undefined) ?? this.start()
      if (!thread) return
      this.assign(thread, this.queue.shift() as Job)
    }
  }

  private start(): Thread | undefined {
    if (this.threads.size >= this.maxThreads) return undefined
    const worker = new Worker(THREAD_SOURCE, {
      eval: true,
      workerData: { nice: VERIFY_NICE, argon2: ARGON2_MODULE },
      // No inherited --import tsx and the like: the thread needs none of it.
      execArgv: [],
    })
    const thread: Thread = { worker, job: undefined, idleTimer: undefined }
    worker.on('message', (ok: boolean) => this.finish(thread, (job) => job.resolve(ok)))
    worker.on('error', (error) => this.end(thread, error))
    worker.on('exit', () => this.end(thread, new Error('an argon2 thread exited')))
    this.threads.add(thread)
    return thread
  }

  private assign(thread: Thread, job: Job): void {
    clearTimeout(thread.idleTimer)
    thread.job = job
    // A thread with work keeps the process alive until it answers, like the pool.
    thread.worker.ref()
    thread.worker.postMessage({ hash: job.hash, password: job.password })
  }

  private finish(thread: Thread, settle: (job: Job) => void): void {
    const { job } = thread
    thread.job = undefined
    if (job) settle(job)
    const next = this.queue.shift()
    if (next) {
      this.assign(thread, next)
      return
    }
    thread.worker.unref()
    thread.idleTimer = setTimeout(() => {
      this.threads.delete(thread)
      void thread.worker.terminate()
    }, IDLE_MS).unref()
  }

  /** A thread that died fails its job (never a silent "wrong password"); others go on. */
  private end(thread: Thread, error: Error): void {
    if (!this.threads.delete(thread)) return
    clearTimeout(thread.idleTimer)
    thread.job?.reject(error)
    thread.job = undefined
    this.dispatch()
  }
}
