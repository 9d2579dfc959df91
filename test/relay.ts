import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net'

/**
 * A TCP relay to a service (PostgreSQL, Redis) that a test can cut and restore, like a
 * network fault; it keeps its port across restarts so clients reconnect to it.
 */
export class Relay {
  private server: Server | undefined
  private readonly sockets = new Set<Socket>()
  port = 0

  constructor(
    private readonly targetUrl: string,
    private readonly defaultPort: number,
  ) {}

  async start(): Promise<void> {
    const target = new URL(this.targetUrl)
    this.server = createServer((client) => {
      const upstream = connect(Number(target.port || this.defaultPort), target.hostname)
      for (const s of [client, upstream]) {
        this.sockets.add(s)
        s.on('close', () => this.sockets.delete(s))
        s.on('error', () => s.destroy())
      }
      client.pipe(upstream).pipe(client)
    })
    await new Promise<void>((resolve) => this.server?.listen(this.port, '127.0.0.1', resolve))
    this.port = (this.server.address() as AddressInfo).port
  }

  async cut(): Promise<void> {
    for (const s of this.sockets) s.destroy()
    await new Promise<void>((resolve) => this.server?.close(() => resolve()))
  }
}
