import { errors } from '../../errors.ts'

/** How many checks may wait for a slot, per slot, before more are answered 503. */
export const WAITING_PER_SLOT = 32

/**
 * Caps the password checks running at once at the size of libuv's thread pool
 * (UV_THREADPOOL_SIZE, 4 unless set: the number of threads an operator already sizes
 * for native CPU work). Each verify runs on a thread of its own (argon2-threads.ts);
 * more at once would not verify faster on the cores there are, only hold more memory
 * (32 MiB each) and threads. Beyond the cap checks wait in order, up to
 * WAITING_PER_SLOT per slot (a few seconds of work); past that a login answers 503
 * with Retry-After, not judged and not counted.
 */
export class PasswordCheckGate {
  private running = 0
  private readonly waiting: (() => void)[] = []

  constructor(readonly slots: number) {}

  async run<T>(check: () => Promise<T>): Promise<T> {
    await this.acquire()
    try {
      return await check()
    } finally {
      this.release()
    }
  }

  private async acquire(): Promise<void> {
    if (this.running < this.slots) {
      this.running++
      return
    }
    if (this.waiting.length >= this.slots * WAITING_PER_SLOT) throw errors.passwordChecksBusy()
    // release() hands its slot straight to the first waiter, so running stays counted.
    await new Promise<void>((resolve) => this.waiting.push(resolve))
  }

  private release(): void {
    const next = this.waiting.shift()
    if (next) next()
    else this.running--
  }
}
