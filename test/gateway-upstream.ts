import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

/**
 * A real upstream for the gateway tests: echoes what it received as JSON, and has
 * paths that misbehave on purpose (/slow, /reset, /big/<MiB>, /upload counts bytes;
 * /cors answers CORS headers of its own).
 */
export interface Upstream {
  url: string
  server: Server
  /** Requests whose client (the gateway) went away before the answer. */
  aborted: number
  close(): Promise<void>
}

export async function startUpstream(name: string): Promise<Upstream> {
  const state = { aborted: 0 }
  const server = createServer((req: IncomingMessage, res) => {
    const path = (req.url ?? '').split('?')[0] as string
    if (path.endsWith('/reset')) {
      req.socket.destroy()
      return
    }
    if (path.endsWith('/slow')) {
      const timer = setTimeout(() => res.end('late'), 5_000)
      res.on('close', () => {
        clearTimeout(timer)
        if (!res.writableFinished) state.aborted++
      })
      return
    }
    const big = /\/big\/(\d+)$/.exec(path)
    if (big) {
      const mib = Number(big[1])
      const chunk = Buffer.alloc(1 << 20, 120)
      res.writeHead(200, { 'content-type': 'application/octet-stream' })
      let sent = 0
      const pump = () => {
        while (sent < mib) {
          sent++
          if (!res.write(chunk)) return void res.once('drain', pump)
        }
        res.end()
      }
      pump()
      return
    }
    let bytes = 0
    req.on('data', (d: Buffer) => (bytes += d.length))
    req.on('end', () => {
      const body = JSON.stringify({
        upstream: name,
        method: req.method,
        url: req.url,
        headers: req.headers,
        bytes,
      })
      const own = path.endsWith('/cors')
        ? { 'access-control-allow-origin': '*', 'access-control-max-age': '1', vary: 'Accept' }
        : {}
      res.writeHead(200, {
        'content-type': 'application/json',
        // x-hop is made hop-by-hop by naming it in Connection: never forwarded.
        connection: 'keep-alive, x-hop',
        'x-hop': 'this connection only',
        'x-upstream': name,
        ...own,
      })
      res.end(body)
    })
  })
  server.keepAliveTimeout = 3_000
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const port = (server.address() as AddressInfo).port
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    get aborted() {
      return state.aborted
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections()
        server.close(() => r())
      }),
  }
}
