/**
 * The upstream every proxy in bench/gateway.bench.ts forwards to, also measured direct:
 * node:http answering any request with a small text body, keep-alive kept long enough
 * that no connection is closed under load. `node --import tsx bench/upstream-server.ts <port>`.
 */
import { createServer } from 'node:http'

const BODY = Buffer.from('hello from the bench upstream\n')
const server = createServer((req, res) => {
  // Drain any request body before answering, so keep-alive survives a POST.
  req.resume()
  res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'content-length': BODY.length })
  res.end(BODY)
})
server.keepAliveTimeout = 120_000
server.listen(Number(process.argv[2] ?? 3000), '127.0.0.1')
