import { type ChildProcess, spawn } from 'node:child_process'
import { readdirSync, readlinkSync } from 'node:fs'
import { request } from 'node:http'

/**
 * `apiops gateway` as a real process (through tsx, no build needed): started on port 0,
 * ready when it prints the port it bound.
 */
const ROOT = new URL('..', import.meta.url).pathname

export class GatewayProcess {
  private constructor(
    readonly port: number,
    readonly child: ChildProcess,
    private readonly output: () => string,
  ) {}

  get log(): string {
    return this.output()
  }

  /** Open TCP sockets of the process (Linux /proc): listening, client and upstream ones. */
  sockets(): number {
    const dir = `/proc/${this.child.pid}/fd`
    return readdirSync(dir).filter((fd) => {
      try {
        return readlinkSync(`${dir}/${fd}`).startsWith('socket:')
      } catch {
        return false
      }
    }).length
  }

  static run(
    env: Record<string, string>,
    environment: string,
  ): { child: ChildProcess; output: () => string } {
    let output = ''
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'src/main.ts',
        'gateway',
        '--environment',
        environment,
        '--port',
        '0',
        '--host',
        '127.0.0.1',
      ],
      {
        cwd: ROOT,
        env: { ...(process.env as Record<string, string>), LOG_LEVEL: 'warn', ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    )
    child.stdout?.on('data', (d) => (output += d))
    child.stderr?.on('data', (d) => (output += d))
    return { child, output: () => output }
  }

  static async start(env: Record<string, string>, environment: string): Promise<GatewayProcess> {
    const { child, output } = GatewayProcess.run(env, environment)
    const end = Date.now() + 40_000
    while (Date.now() < end) {
      const bound = /gateway listening on [^:]+:(\d+)/.exec(output())
      if (bound) return new GatewayProcess(Number(bound[1]), child, output)
      if (child.exitCode !== null) throw new Error(`gateway exited early:\n${output()}`)
      await new Promise((r) => setTimeout(r, 50))
    }
    child.kill('SIGKILL')
    throw new Error(`gateway did not start:\n${output()}`)
  }

  /** Exit code of a process expected to refuse to start. */
  static async refusal(env: Record<string, string>, environment: string) {
    const { child, output } = GatewayProcess.run(env, environment)
    const code = await new Promise<number | null>((r) => child.once('exit', r))
    return { code, output: output() }
  }

  async stop(): Promise<void> {
    // Killed by a signal, a process has no exit code, only a signal code.
    if (this.child.exitCode !== null || this.child.signalCode !== null) return
    const exited = new Promise((r) => this.child.once('exit', r))
    this.child.kill('SIGTERM')
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5_000)
    await exited
    clearTimeout(timer)
  }
}

/** Status of one GET through a gateway, 0 when the connection failed. */
export async function statusOf(port: number, path: string): Promise<number> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}${path}`)
    await res.arrayBuffer()
    return res.status
  } catch {
    return 0
  }
}

/** The same over a connection of its own that closes after the answer (no client keep-alive). */
export function statusOnce(port: number, path: string, abortAfterMs?: number): Promise<number> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      res.resume()
      res.on('end', () => resolve(res.statusCode ?? 0))
      res.on('error', () => resolve(0))
    })
    req.on('error', () => resolve(0))
    if (abortAfterMs !== undefined) setTimeout(() => req.destroy(), abortAfterMs)
    req.end()
  })
}
