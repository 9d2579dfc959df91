import pino from 'pino'
import { describe, expect, it } from 'vitest'
import { loggerOptions } from '../src/app.ts'
import { bearer, buildTestApp, makeUser, testConfig, tokenFor } from './helpers.ts'

/** The per-request logger is made lazily (src/http/request-logger.ts); lines must not change. */
describe('request logging', () => {
  async function logged(level: string, env: Record<string, string> = {}) {
    const lines: Record<string, unknown>[] = []
    const log = pino(loggerOptions(level) as pino.LoggerOptions, {
      write: (line: string) => lines.push(JSON.parse(line)),
    })
    const ctx = await buildTestApp('sqlite', { log, env })
    try {
      const { id } = await makeUser(ctx, 'alice')
      const { token } = await tokenFor(ctx, id)
      await ctx.app.inject({ url: '/apiops/test/hello/John', headers: bearer(token) })
      await ctx.app.inject({ url: '/apiops/me/', headers: bearer(`${token}x`) })
    } finally {
      await ctx.close()
    }
    return lines
  }

  it('writes one line per request, with its id, what was asked and how it ended', async () => {
    const lines = await logged('info')
    const hello = lines.filter(
      (l) => (l.req as { url?: string })?.url === '/apiops/test/hello/John',
    )
    // One line, not Fastify's two (incoming, completed).
    expect(hello).toHaveLength(1)
    expect(hello[0]).toMatchObject({
      level: 30,
      msg: 'request completed',
      reqId: expect.any(String),
      req: { method: 'GET', url: '/apiops/test/hello/John' },
      res: { statusCode: 200 },
      responseTime: expect.any(Number),
    })
    const me = lines.filter((l) => (l.req as { url?: string })?.url === '/apiops/me/')
    expect(me).toHaveLength(1)
    expect(me[0]).toMatchObject({ res: { statusCode: 401 }, msg: 'request completed' })
    expect(me[0]?.reqId).not.toBe(hello[0]?.reqId)
    // Nothing of the token reaches the line.
    expect(JSON.stringify(lines)).not.toMatch(/eyJ/)
  })

  it('writes no access line with APIOPS_ACCESS_LOG=off, and refuses other values', async () => {
    const lines = await logged('info', { APIOPS_ACCESS_LOG: 'off' })
    expect(lines.filter((l) => l.msg === 'request completed')).toEqual([])
    expect(() => testConfig({ APIOPS_ACCESS_LOG: 'maybe' })).toThrow(/APIOPS_ACCESS_LOG/)
  })

  it('writes nothing below the configured level', async () => {
    const lines = await logged('warn')
    expect(lines.filter((l) => (l.level as number) < 40)).toEqual([])
  })
})
