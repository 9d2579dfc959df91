/**
 * The floor of what a Node proxy can do: node:http in, one undici Pool out, bodies
 * streamed, hop-by-hop headers dropped, nothing else. `node --import tsx
 * bench/minimal-proxy.ts <upstream origin> <port>`; bench/gateway.bench.ts runs it.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http'
import { Pool } from 'undici'

const [upstream = 'http://127.0.0.1:3000', port = '8080'] = process.argv.slice(2)
const pool = new Pool(upstream, { connections: 128 })
const HOP = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'upgrade',
  'proxy-connection',
])
const endToEnd = (headers: IncomingHttpHeaders | Record<string, string | string[] | undefined>) =>
  Object.fromEntries(Object.entries(headers).filter(([name]) => !HOP.has(name)))

createServer((req, res) => {
  const hasBody = req.method !== 'GET' && req.method !== 'HEAD'
  pool
    .stream(
      {
        method: req.method as 'GET',
        path: req.url as string,
        headers: endToEnd(req.headers),
        body: hasBody ? req : null,
      },
      ({ statusCode, headers }) =>
        res.writeHead(statusCode, endToEnd(headers) as Record<string, string>),
    )
    .catch(() => (res.headersSent ? res.destroy() : res.writeHead(502).end()))
}).listen(Number(port), '127.0.0.1')
