import { execFile } from 'node:child_process'
import { createRequire } from 'node:module'
import { Worker } from 'node:worker_threads'
import type { VerifyPriority } from '../../config.ts'

/**
 * argon2 verifies on threads of their own, below the event loop's priority. In libuv's
 * thread pool (where @node-rs/argon2 runs them by default) four verifies at once on two
 * cores took the CPU from the event loop as an equal: the health check's p99 went from
 * 2 to 17 ms under login load. Here each thread lowers its own scheduling priority once
 * (per thread on Linux), so the event loop runs as soon as it has work and the verifies
 * use every cycle it leaves: throughput stays that of the pool.
 *
 * Threads start on demand (a few ms: plain JavaScript, no loader), take jobs in order,
 * and end after a while idle; an idle thread never keeps the process alive. How many
 * verifies reach here at once is the login throttle's business (password-check-gate.ts).
 */

/**
 * How far below the event loop the verifying threads run (VerifyPriority, set by
 * APIOPS_PASSWORD_CHECK_PRIORITY):
 * - `idle`: Linux's SCHED_IDLE. A waking event loop preempts a verify at once; nice 5
 *   still let it wait for the scheduler's slice (health-check p99 under login load 6-7 ms
 *   against 3-4 ms idle, at the same login throughput; docs/performance.md). The price:
 *   on a host whose other processes keep every core busy, verifies get almost nothing.
 * - `low`: nice 5 (see VERIFY_NICE). For a host shared with busy processes.
 * - `normal`: the event loop's own priority.
 */

/**
 * Nice value of `low` threads, and of `idle` ones where SCHED_IDLE cannot be set: the
 * event loop (0) weighs 3x as much; 10 (10x) did no better for it and let other busy
 * processes on a shared host starve the verifies (logins fell to a tenth of raw).
 */
export const VERIFY_NICE = 5
/** An idle thread holds a heap; give it back after this long without a verify. */
const IDLE_MS = 30_000
/** A bound for the absurd; the gate keeps the real number at the thread pool's size. */
const MAX_THREADS = 64

const ARGON2_MODULE = createRequire(import.meta.url).resolve('@node-rs/argon2')

// CommonJS, evaluated: the same in development (tsx) and in the compiled build. Node
// offers no sched_setscheduler, so SCHED_IDLE comes from util-linux's chrt, run once per
// thread on the thread's own id (no shell; the arguments are ours). The first message
// says what the thread got; every later one is a verify's answer.
const THREAD_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads')
function lowerPriority({ priority, nice }) {
  if (priority === 'normal') return { got: 'normal' }
  // Nice first: a SCHED_IDLE thread moved back to the normal policy runs at nice 5.
  try { require('node:os').setPriority(0, nice) }
  catch (error) { return { got: 'normal', why: 'nice could not be set (' + error.message + ')' } }
  if (priority === 'low') return { got: 'low' }
  try {
    const tid = require('node:fs').readFileSync('/proc/thread-self/stat', 'utf8').split(' ')[0]
    require('node:child_process').execFileSync('chrt', ['--idle', '-p', '0', tid], { stdio: 'ignore', timeout: 2000 })
    return { got: 'idle', tid: Number(tid) }
  } catch (error) { return { got: 'low', why: 'SCHED_IDLE could not be set (' + error.message.split('\\n')[0] + ')' } }
}
// Loaded before the priority drops: a starting thread is never starved, and the
// starvation watch (which starts at the message below) measures verifies only.
const { verifySync } = require(workerData.argon2)
parentPort.postMessage(lowerPriority(workerData))
parentPort.on('message', ({ hash, password }) => {
  let ok = false
  // A hash that does not parse verifies nothing: a wrong password, as in the pool.
  try { ok = verifySync(hash, password) } catch {}
  parentPort.postMessage(ok)
})
`

/** Sets one thread's scheduling policy; answers the error, if any (never rejects). */
function chrt(policy: '--idle' | '--other', tid: number): Promise<Error | null> {
  return new Promise((resolve) =>
    execFile('chrt', [policy, '-p', '0', String(tid)], { timeout: 2000 }, (error) =>
      resolve(error),
    ),
  )
}

/** What a thread reports when it could not get the priority asked for. */
export type PriorityWarn = (message: string) => void

interface Job {
  hash: string
  password: string
  resolve(ok: boolean): void
  reject(error: Error): void
}

interface ThreadPriority {
  got: VerifyPriority
  why?: string
  /** The thread's id, for moving a starved SCHED_IDLE thread back (idle only). */
  tid?: number
}

interface Thread {
  worker: Worker
  job: Job | undefined
  idleTimer: NodeJS.Timeout | undefined
  /** What the thread got, once it said. */
  got?: VerifyPriority
  tid?: number
  starvedTimer?: NodeJS.Timeout | undefined
  /** Moving off SCHED_IDLE for a starved verify (settles when chrt did); undone when it ends. */
  boost?: Promise<void> | undefined
}

/**
 * A verify takes 12-18 ms on a free core, and up to about half a second at SCHED_IDLE
 * under a full login load on two cores (measured: 16 connections, four threads, no
 * verify past 570 ms). One still running after a second is starved: every core is busy
 * with normal-priority work (other processes on the host, or a saturated server), and at
 * SCHED_IDLE it could wait indefinitely. Its thread is moved to the normal policy at
 * nice 5 until that verify ends, then back to SCHED_IDLE: logins slow down under load
 * instead of timing out, and one starved moment does not undo the low priority for
 * good (moved for good, the login bench's threads all ended at nice 5 and the health
 * check's p99 went back to that of nice 5).
 */
export const STARVED_AFTER_MS = 1000

export class Argon2Threads {
  private readonly threads = new Set<Thread>()
  private readonly queue: Job[] = []
  private priority: VerifyPriority = 'idle'
  private warn: PriorityWarn | undefined
  private warned = false

  private warnedStarved = false

  constructor(
    private readonly maxThreads = MAX_THREADS,
    private readonly starvedAfterMs = STARVED_AFTER_MS,
  ) {}

  /** For threads started from now on; the process's configuration sets it once. */
  setPriority(priority: VerifyPriority, warn?: PriorityWarn): void {
    this.priority = priority
    this.warn = warn
  }

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
      workerData: { priority: this.priority, nice: VERIFY_NICE, argon2: ARGON2_MODULE },
      // No inherited --import tsx and the like: the thread needs none of it.
      execArgv: [],
    })
    const thread: Thread = { worker, job: undefined, idleTimer: undefined }
    worker.on('message', (message: boolean | ThreadPriority) => {
      if (typeof message === 'boolean') this.finish(thread, (job) => job.resolve(message))
      else this.noticePriority(thread, message)
    })
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
    this.watch(thread)
  }

  /** Moves the thread off SCHED_IDLE if its verify runs too long (see STARVED_AFTER_MS). */
  private watch(thread: Thread): void {
    if (thread.got !== 'idle' || thread.job === undefined || thread.starvedTimer) return
    thread.starvedTimer = setTimeout(() => this.rescue(thread), this.starvedAfterMs)
    thread.starvedTimer.unref()
  }

  private rescue(thread: Thread): void {
    thread.starvedTimer = undefined
    if (thread.got !== 'idle' || thread.job === undefined || thread.tid === undefined) return
    // The thread cannot do it itself: it is the one not being scheduled.
    thread.boost = chrt('--other', thread.tid).then((error) => {
      if (this.warnedStarved) return
      this.warnedStarved = true
      this.warn?.(
        error
          ? `a password check starved at SCHED_IDLE and could not be moved to nice ${VERIFY_NICE}: ${error.message}`
          : `a password check starved at SCHED_IDLE (every core busy); it ran on at nice ${VERIFY_NICE} (said once)`,
      )
    })
  }

  /** A boosted thread whose verify ended goes back to SCHED_IDLE (failing that, stays at nice 5). */
  private settleBoost(thread: Thread): void {
    const { boost, tid } = thread
    if (boost === undefined || tid === undefined) return
    thread.boost = undefined
    // After the move off has happened, never before it.
    void boost.then(() => chrt('--idle', tid))
  }

  private finish(thread: Thread, settle: (job: Job) => void): void {
    const { job } = thread
    thread.job = undefined
    clearTimeout(thread.starvedTimer)
    thread.starvedTimer = undefined
    this.settleBoost(thread)
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

  /** Said once per process: every thread meets the same obstacle. */
  private noticePriority(thread: Thread, { got, why, tid }: ThreadPriority): void {
    thread.got = got
    thread.tid = tid
    // The first job may have been posted before the thread said what it got.
    this.watch(thread)
    if (why === undefined || this.warned) return
    this.warned = true
    this.warn?.(`password checks asked for priority ${this.priority}, run at ${got}: ${why}`)
  }

  /** A thread that died fails its job (never a silent "wrong password"); others go on. */
  private end(thread: Thread, error: Error): void {
    if (!this.threads.delete(thread)) return
    clearTimeout(thread.idleTimer)
    clearTimeout(thread.starvedTimer)
    thread.job?.reject(error)
    thread.job = undefined
    this.dispatch()
  }
}
