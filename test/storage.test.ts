import { createHash } from 'node:crypto'
import { sql } from 'kysely'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loggerOptions } from '../src/app.ts'
import { hashToken } from '../src/identity/tokens/token-format.ts'
import {
  bearer,
  buildTestApp,
  dialects,
  form,
  makeUser,
  PASSWORD,
  type TestContext,
} from './helpers.ts'

/** Every text value in every table, to search for anything that must never be stored. */
async function dumpDatabase(ctx: TestContext): Promise<string> {
  const tables = ['users', 'user_roles', 'projects', 'project_members', 'api_tokens'] as const
  const parts: string[] = []
  for (const table of tables) {
    const rows = await sql`select * from ${sql.table(table)}`.execute(ctx.store.db)
    parts.push(JSON.stringify(rows.rows))
  }
  return parts.join('\n')
}

describe.each(dialects())('what is stored and what is logged (%s)', (dialect) => {
  let ctx: TestContext
  const logLines: string[] = []
  let token: string

  beforeAll(async () => {
    const log = pino(loggerOptions('trace') as pino.LoggerOptions, {
      write: (line: string) => logLines.push(line),
    })
    ctx = await buildTestApp(dialect, { log })
    await makeUser(ctx, 'alice', ['ROLE_ADMIN'])
    const f = form({
      grant_type: 'client_credentials',
      client_id: 'alice',
      client_secret: PASSWORD,
    })
    token = (await ctx.app.inject({ method: 'POST', url: '/apiops/auth/token', ...f })).json()
      .access_token
    // A mix of successes and failures, to give the log every chance to leak.
    await ctx.app.inject({ url: '/apiops/me/', headers: bearer(token) })
    await ctx.app.inject({ url: '/apiops/me/', headers: bearer(`${token}x`) })
    await ctx.app.inject({ url: `/apiops/me/?access_token=${token}` })
    await ctx.app.inject({ url: '/apiops/me/', headers: { cookie: `token=${token}` } })
    const wrong = form({
      grant_type: 'client_credentials',
      client_id: 'alice',
      client_secret: 'Wrong-Secret-123',
    })
    await ctx.app.inject({ method: 'POST', url: '/apiops/auth/token', ...wrong })
    await ctx.services.usage.flush()
  })
  afterAll(() => ctx.close())

  it('stores no token string, only its keyed hash (HMAC-SHA-256, not a bare SHA-256)', async () => {
    const dump = await dumpDatabase(ctx)
    const [, payload, signature] = token.split('.') as [string, string, string]
    expect(dump).not.toContain(token)
    expect(dump).not.toContain(signature)
    expect(dump).not.toContain(payload)
    const row = await ctx.store.db.selectFrom('api_tokens').selectAll().executeTakeFirstOrThrow()
    expect(row.token_hash).toBe(hashToken(token, ctx.keys.current))
    expect(row.token_hash).not.toBe(createHash('sha256').update(token).digest('base64url'))
    expect(row.token_hash).not.toBe(createHash('sha256').update(token).digest('hex'))
  })

  it('stores the password as argon2id with m >= 19456 KiB and t >= 2, and never in clear', async () => {
    const dump = await dumpDatabase(ctx)
    expect(dump).not.toContain(PASSWORD)
    const { password_hash } = await ctx.store.db
      .selectFrom('users')
      .select('password_hash')
      .where('username', '=', 'alice')
      .executeTakeFirstOrThrow()
    const match = /^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$/.exec(password_hash)
    expect(match).not.toBeNull()
    const [, m, t, p] = (match as RegExpExecArray).map(Number)
    expect(m).toBeGreaterThanOrEqual(19456)
    expect(t).toBeGreaterThanOrEqual(2)
    expect(p).toBeGreaterThanOrEqual(1)
  })

  it('logs requests, but never a token, a password or an Authorization header', async () => {
    const log = logLines.join('')
    expect(log).toContain('/apiops/me/') // the log did record these requests
    expect(log).toContain('access_token=[REDACTED]')
    const [, payload, signature] = token.split('.') as [string, string, string]
    for (const secret of [token, payload, signature, PASSWORD, 'Wrong-Secret-123', 'Bearer ']) {
      expect(log).not.toContain(secret)
    }
  })

  it('answers no password hash or token hash on any read', async () => {
    const answers = await Promise.all(
      [
        '/apiops/me/',
        '/apiops/me/tokens/',
        '/apiops/users/',
        '/apiops/users/alice/',
        '/apiops/users/alice/tokens/',
      ].map((url) => ctx.app.inject({ url, headers: bearer(token) })),
    )
    for (const res of answers) {
      expect(res.statusCode).toBe(200)
      expect(res.body).not.toMatch(/argon2|token_hash|password/i)
    }
  })
})
