import pino from 'pino'
import { describe, expect, it } from 'vitest'
import { loggerOptions } from '../src/app.ts'
import { bearer, buildTestApp, makeUser, tokenFor } from './helpers.ts'

/** The per-request logger is made lazily (src/http/request-logger.ts); lines must not change. */
describe('request logging', () => {
  async function logged(level: string) {
    const lines: Record<string, unknown>[] = []
    const log = pino(loggerOptions(level) as pino.LoggerOptions, {
      write: (line: string) => lines.push(JSON.parse(line)),
    })
    const ctx = await buildTestApp('sqlite', { log })
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

  it('tags every line a request writes with its own request id', async () => {
    const lines = await logged('info')
    const hello = lines.filter(
      (l) => (l.req as { url?: string })?.url === '/apiops/test/hello/John',
    )
    expect(hello).toHaveLength(1)
    const reqId = hello[0]?.reqId
    expect(reqId).toEqual(expect.any(String))
    const completed = lines.filter((l) => l.reqId === reqId && l.msg === 'request completed')
    expect(completed).toHaveLength(1)
    expect(completed[0]).toMatchObject({ level: 30, res: { statusCode: 200 } })
    const me = lines.find((l) => (l.req as { url?: string })?.url === '/apiops/me/')
    expect(me?.reqId).toEqual(expect.any(String))
    expect(me?.reqId).not.toBe(reqId)
    expect(lines.find((l) => l.reqId === me?.reqId && l.msg === 'request completed')).toMatchObject(
      {
        res: { statusCode: 401 },
      },
    )
  })

  it('writes nothing below the configured level', async () => {
    const lines = await logged('warn')
    expect(lines.filter((l) => (l.level as number) < 40)).toEqual([])
  })
})
