/**
 * @fastify/http-proxy on Fastify 5 with its defaults (undici through @fastify/reply-from),
 * logger off: `node --import tsx bench/fastify-proxy.ts <upstream origin> <port>`.
 */
import proxy from '@fastify/http-proxy'
import Fastify from 'fastify'

const [upstream = 'http://127.0.0.1:3000', port = '8080'] = process.argv.slice(2)
const app = Fastify({ logger: false })
await app.register(proxy, { upstream })
await app.listen({ port: Number(port), host: '127.0.0.1' })
