import { createHash, createHmac } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { LIMITS } from '../src/audit/audit.service.ts'
import type { AuditEventRow } from '../src/db/schema.ts'
import {
  bearer,
  buildTestApp,
  dialects,
  form,
  makeUser,
  type TestContext,
  testConfig,
  tokenFor,
  until,
} from './helpers.ts'

/**
 * The audit log under a flood: repeated failures of one kind from one address are
 * folded into one summary per window; every stored field is bounded; a failed login
 * under a username no user has stores a keyed hash, never the text.
 */

const FIRST = 5
const WINDOW_MS = 60_000
/** Many failed logins from one address, without the throttle answering 429 instead. */
const NO_THROTTLE = {
  APIOPS_LOGIN_MAX_FAILURES: '1000',
  APIOPS_LOGIN_IP_MAX_FAILURES: '1000000',
}

async function rows(ctx: TestContext): Promise<AuditEventRow[]> {
  await ctx.services.audit.flush()
  return ctx.store.db.selectFrom('audit_events').selectAll().orderBy('at').orderBy('id').execute()
}

const summaries = (all: AuditEventRow[]) => all.filter((r) => r.action === 'audit.folded')

/** `count` requests with a junk token from one address, `parallel` at a time. */
async function junk(ctx: TestContext, count: number, remoteAddress: string, parallel = 100) {
  for (let done = 0; done < count; done += parallel) {
    const batch = Array.from({ length: Math.min(parallel, count - done) }, () =>
      ctx.app.inject({
        url: '/apiops/projects/',
        headers: { authorization: 'Bearer junk', 'user-agent': 'flood/1.0' },
        remoteAddress,
      }),
    )
    for (const res of await Promise.all(batch)) expect(res.statusCode).toBe(401)
  }
}

const tokenLogin = (ctx: TestContext, username: string, remoteAddress = '192.0.2.10') =>
  ctx.app.inject({
    method: 'POST',
    url: '/apiops/auth/token',
    ...form({ grant_type: 'client_credentials', client_id: username, client_secret: 'wrong-9' }),
    remoteAddress,
  })

const consoleLogin = (ctx: TestContext, username: string, remoteAddress = '192.0.2.10') =>
  ctx.app.inject({
    method: 'POST',
    url: '/apiops/session/',
    payload: { username, password: 'wrong-9' },
    remoteAddress,
  })

describe.each(dialects())('audit folding (%s)', (dialect) => {
  let ctx: TestContext
  let admin: { id: string; token: string }
  let alice: { id: string; token: string }

  beforeAll(async () => {
    ctx = await buildTestApp(dialect, { env: NO_THROTTLE })
    const root = await makeUser(ctx, 'root', ['ROLE_ADMIN'])
    const a = await makeUser(ctx, 'alice')
    admin = { id: root.id, token: (await tokenFor(ctx, root.id)).token }
    alice = { id: a.id, token: (await tokenFor(ctx, a.id)).token }
  })
  afterAll(() => ctx.close())

  /** A fresh window for every test: the clock jumps past the last one, which closes. */
  async function nextWindow() {
    ctx.clock.advance(WINDOW_MS)
    await ctx.services.audit.close()
    await ctx.store.db.deleteFrom('audit_events').execute()
  }

  it('3,000 junk-token requests from one address write the first 5 and one summary with the exact count', async () => {
    await nextWindow()
    const start = ctx.clock.now().toISOString()
    await junk(ctx, 3000, '198.51.100.7')
    // Within the window: only the first few, nothing else yet.
    let all = await rows(ctx)
    expect(all).toHaveLength(FIRST)
    expect(
      all.every(
        (r) =>
          r.action === 'request.denied' &&
          r.target === 'operation=listProjects' &&
          r.status === 401,
      ),
    ).toBe(true)
    ctx.clock.advance(30_000)
    await junk(ctx, 1000, '198.51.100.7')
    expect(await rows(ctx)).toHaveLength(FIRST)

    // The next failure after the window ends it, and starts a fresh one.
    ctx.clock.advance(WINDOW_MS)
    await junk(ctx, 1, '198.51.100.7')
    all = await rows(ctx)
    expect(all).toHaveLength(FIRST + 2)
    const [summary] = summaries(all)
    expect(summary).toMatchObject({
      action: 'audit.folded',
      client_ip: '198.51.100.7',
      user_agent: 'flood/1.0',
      actor_username: null,
      outcome: 'denied',
      status: 401,
      folded_count: 3995,
      target: `3995 more invalid_token from 198.51.100.7 between ${start} and ${new Date(Date.parse(start) + 30_000).toISOString()}`,
    })
    expect(all.at(-1)).toMatchObject({ action: 'request.denied', folded_count: null })

    // The API returns the count.
    const res = await ctx.app.inject({
      url: '/apiops/audit/?action=audit.folded',
      headers: bearer(admin.token),
    })
    expect(res.statusCode).toBe(200)
    expect(res.json().resultList).toEqual([
      expect.objectContaining({
        action: 'audit.folded',
        clientAddress: '198.51.100.7',
        foldedCount: 3995,
        outcome: 'denied',
      }),
    ])
  })

  it('folds each address (an IPv6 /64 as one) and each kind of failure separately; successes never', async () => {
    await nextWindow()
    await junk(ctx, 8, '203.0.113.1')
    await junk(ctx, 9, '203.0.113.2')
    await junk(ctx, 4, '2001:db8:1:2::1')
    await junk(ctx, 4, '2001:db8:1:2:ffff::9')
    // Another kind from the first address: denied by role, not by token.
    for (let i = 0; i < 7; i++) {
      const res = await ctx.app.inject({
        method: 'POST',
        url: '/apiops/projects/',
        headers: bearer(alice.token),
        payload: { name: `nope-${i}` },
        remoteAddress: '203.0.113.1',
      })
      expect(res.statusCode).toBe(403)
    }
    // A success from a folding address in the middle of it is recorded.
    const created = await ctx.app.inject({
      method: 'POST',
      url: '/apiops/projects/',
      headers: bearer(admin.token),
      payload: { name: 'in-the-flood' },
      remoteAddress: '203.0.113.1',
    })
    expect(created.statusCode).toBe(201)
    await junk(ctx, 1, '203.0.113.1')

    await ctx.services.audit.close()
    const all = await rows(ctx)
    expect(
      all.filter((r) => r.action === 'project.created' && r.outcome === 'success'),
    ).toMatchObject([{ target: 'project=in-the-flood', actor_username: 'root' }])
    const folded = summaries(all).map((r) => [r.client_ip, r.target.split(' ')[2], r.folded_count])
    expect(folded.sort()).toEqual([
      ['2001:db8:1:2::/64', 'invalid_token', 3],
      ['203.0.113.1', 'forbidden', 2],
      ['203.0.113.1', 'invalid_token', 4],
      ['203.0.113.2', 'invalid_token', 4],
    ])
    // A summary of one user's denials is theirs: it shows in their own activity.
    const forbidden = summaries(all).find((r) => r.target.includes('forbidden'))
    expect(forbidden).toMatchObject({ actor_user_id: alice.id, actor_username: 'alice' })
    const verbatim = all.filter((r) => r.action !== 'audit.folded' && r.outcome !== 'success')
    expect(verbatim).toHaveLength(4 * FIRST)
  })

  it('a new window starts fresh', async () => {
    await nextWindow()
    await junk(ctx, 7, '198.51.100.20')
    ctx.clock.advance(WINDOW_MS)
    await junk(ctx, 7, '198.51.100.20')
    const all = await rows(ctx)
    // 5 + summary(2) + 5 of the new window, whose own 2 are still being counted.
    expect(all).toHaveLength(2 * FIRST + 1)
    expect(summaries(all).map((r) => r.folded_count)).toEqual([2])
    await ctx.services.audit.close()
    expect(summaries(await rows(ctx)).map((r) => r.folded_count)).toEqual([2, 2])
  })

  it('folds failed logins too; one username tried again and again stays that user’s', async () => {
    await nextWindow()
    for (let i = 0; i < 8; i++) expect((await tokenLogin(ctx, 'alice')).statusCode).toBe(401)
    for (let i = 0; i < 8; i++) expect((await consoleLogin(ctx, 'ghost-7')).statusCode).toBe(401)
    await ctx.services.audit.close()
    const all = await rows(ctx)
    const logins = all.filter((r) => r.action !== 'audit.folded')
    expect(logins).toHaveLength(FIRST)
    const [summary, ...none] = summaries(all)
    expect(none).toEqual([])
    // Both endpoints' failures are one kind: 16 failed logins, 5 kept, 11 counted.
    expect(summary).toMatchObject({
      folded_count: 11,
      outcome: 'failure',
      status: 401,
      target: expect.stringMatching(/^11 more bad_credentials from 192\.0\.2\.10 between /),
      actor_username: null,
      username_hash: null,
    })

    // Only alice, from another address: the summary is hers, in her own Activity.
    for (let i = 0; i < 8; i++) {
      expect((await tokenLogin(ctx, 'alice', '192.0.2.11')).statusCode).toBe(401)
    }
    await ctx.services.audit.close()
    const hers = await ctx.app.inject({
      url: '/apiops/me/audit/?action=audit.folded',
      headers: bearer(alice.token),
    })
    expect(hers.json().resultList).toEqual([
      expect.objectContaining({ actor: 'alice', clientAddress: '192.0.2.11', foldedCount: 3 }),
    ])

    // Only one unknown name: the summary carries its hash, never the name.
    for (let i = 0; i < 8; i++) {
      expect((await consoleLogin(ctx, 'ghost-7', '192.0.2.12')).statusCode).toBe(401)
    }
    await ctx.services.audit.close()
    const ghost = summaries(await rows(ctx)).find((r) => r.client_ip === '192.0.2.12')
    const hash = createHmac('sha256', ctx.keys.auditUsername)
      .update('ghost-7')
      .digest('hex')
      .slice(0, 16)
    expect(ghost).toMatchObject({
      folded_count: 3,
      actor_username: '(unknown user)',
      actor_user_id: null,
      username_hash: hash,
      target: expect.stringMatching(new RegExp(`username_hash=${hash}$`)),
    })
    expect(JSON.stringify(await rows(ctx))).not.toContain('ghost-7')
  })

  it('ends a window on a timer when no further failure comes', async () => {
    const timed = await buildTestApp(dialect, {
      env: { APIOPS_AUDIT_FOLD_WINDOW_SECONDS: '1' },
    })
    try {
      await junk(timed, 8, '198.51.100.30')
      timed.clock.advance(1000)
      await until(
        'the timer writes the summary',
        async () => summaries(await rows(timed)).length === 1,
        5000,
      )
      expect(summaries(await rows(timed))[0]?.folded_count).toBe(3)
    } finally {
      await timed.close()
    }
  })
})

describe.each(dialects())('audit folding at shutdown and under many addresses (%s)', (dialect) => {
  it('writes the pending summary when the server closes', async () => {
    const ctx = await buildTestApp(dialect)
    await junk(ctx, 9, '198.51.100.40')
    await ctx.app.close()
    // The app is gone; the database it wrote to is not.
    const all = await ctx.store.db.selectFrom('audit_events').selectAll().execute()
    await ctx.store.drop()
    expect(all).toHaveLength(FIRST + 1)
    expect(summaries(all).map((r) => r.folded_count)).toEqual([4])
  })

  it('tracks at most APIOPS_AUDIT_FOLD_MAX_ADDRESSES addresses, then folds per kind across them', async () => {
    const ctx = await buildTestApp(dialect, { env: { APIOPS_AUDIT_FOLD_MAX_ADDRESSES: '10' } })
    try {
      let most = 0
      for (let i = 0; i < 200; i++) {
        await junk(ctx, 2, `10.0.${i >> 8}.${i & 255}`)
        most = Math.max(most, ctx.services.audit.foldGroups)
      }
      // Ten addresses and the one group for this kind across all the others.
      expect(most).toBe(11)
      await ctx.services.audit.close()
      expect(ctx.services.audit.foldGroups).toBe(0)
      const all = await rows(ctx)
      // 10 tracked addresses: 2 each, recorded. The other 380 failures: 5, then counted.
      expect(all.filter((r) => r.action !== 'audit.folded')).toHaveLength(10 * 2 + FIRST)
      expect(summaries(all)).toMatchObject([
        {
          client_ip: '(many addresses)',
          folded_count: 190 * 2 - FIRST,
          target: expect.stringMatching(/^375 more invalid_token from \(many addresses\) between /),
        },
      ])
    } finally {
      await ctx.close()
    }
  })

  it('is configured by APIOPS_AUDIT_FOLD_WINDOW_SECONDS, _FIRST and _MAX_ADDRESSES', () => {
    const defaults = testConfig()
    expect([
      defaults.auditFoldWindowSeconds,
      defaults.auditFoldFirst,
      defaults.auditFoldMaxAddresses,
    ]).toEqual([60, 5, 10_000])
    const set = testConfig({
      APIOPS_AUDIT_FOLD_WINDOW_SECONDS: '300',
      APIOPS_AUDIT_FOLD_FIRST: '0',
      APIOPS_AUDIT_FOLD_MAX_ADDRESSES: '50',
    })
    expect([set.auditFoldWindowSeconds, set.auditFoldFirst, set.auditFoldMaxAddresses]).toEqual([
      300, 0, 50,
    ])
    for (const [name, bad] of [
      ['APIOPS_AUDIT_FOLD_WINDOW_SECONDS', '0'],
      ['APIOPS_AUDIT_FOLD_FIRST', '-1'],
      ['APIOPS_AUDIT_FOLD_MAX_ADDRESSES', 'lots'],
    ] as const) {
      expect(() => testConfig({ [name]: bad }), name).toThrow(name)
    }
  })
})

describe.each(dialects())('failed logins under unknown usernames (%s)', (dialect) => {
  let ctx: TestContext
  let admin: { token: string }
  let alice: { id: string }

  beforeAll(async () => {
    ctx = await buildTestApp(dialect, { env: NO_THROTTLE })
    const root = await makeUser(ctx, 'root', ['ROLE_ADMIN'])
    alice = { id: (await makeUser(ctx, 'alice')).id }
    admin = { token: (await tokenFor(ctx, root.id)).token }
  })
  afterAll(() => ctx.close())

  const hashOf = (typed: string) =>
    createHmac('sha256', ctx.keys.auditUsername).update(typed).digest('hex').slice(0, 16)

  it('store a marker and a keyed hash, never what was typed; the same text gives the same hash', async () => {
    const typed = ['Summer2024', 'Summer2024', 'P@ss word!', 'alice', 'x'.repeat(5000)]
    for (const [i, name] of typed.entries()) {
      // Each from its own address, so none is folded.
      expect((await tokenLogin(ctx, name, `192.0.2.${100 + i}`)).statusCode).toBe(401)
    }
    // The console login and the token endpoint hash alike.
    expect((await consoleLogin(ctx, 'Summer2024', '192.0.2.120')).statusCode).toBe(401)
    const all = (await rows(ctx)).filter((r) => r.action.startsWith('login.'))
    const [a, b, c, known, long, viaConsole] = all
    for (const row of [a, b, c, long, viaConsole]) {
      expect(row).toMatchObject({
        actor_username: '(unknown user)',
        actor_user_id: null,
        username_hash: expect.stringMatching(/^[0-9a-f]{16}$/),
      })
      const channel = row === viaConsole ? 'console' : 'token_endpoint'
      expect(row?.target).toBe(`channel=${channel} username_hash=${row?.username_hash}`)
    }
    expect(a?.username_hash).toBe(hashOf('Summer2024'))
    expect(b?.username_hash).toBe(a?.username_hash)
    expect(viaConsole?.username_hash).toBe(a?.username_hash)
    expect(c?.username_hash).toBe(hashOf('P@ss word!'))
    expect(c?.username_hash).not.toBe(a?.username_hash)
    expect(long?.username_hash).toBe(hashOf('x'.repeat(5000)))
    // Keyed: a plain hash of a guess does not find it.
    expect(a?.username_hash).not.toBe(
      createHash('sha256').update('Summer2024').digest('hex').slice(0, 16),
    )
    // A user's name is kept, as before: their own Activity shows it.
    expect(known).toMatchObject({
      actor_username: 'alice',
      actor_user_id: alice.id,
      username_hash: null,
      target: 'channel=token_endpoint',
    })
    const dump = JSON.stringify(all)
    for (const text of ['Summer2024', 'P@ss word!', 'xxxxxxxxxx']) expect(dump).not.toContain(text)
  })

  it('the admin list filters by the hash and returns it', async () => {
    const hash = hashOf('Summer2024')
    const res = await ctx.app.inject({
      url: `/apiops/audit/?username_hash=${hash}`,
      headers: bearer(admin.token),
    })
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json().totalCount).toBe(3)
    for (const event of res.json().resultList) {
      expect(event).toMatchObject({ actor: '(unknown user)', usernameHash: hash })
    }
    const all = await ctx.app.inject({
      url: `/apiops/audit/?username=${encodeURIComponent('(unknown user)')}`,
      headers: bearer(admin.token),
    })
    expect(all.json().totalCount).toBe(5)
    const bad = await ctx.app.inject({
      url: '/apiops/audit/?username_hash=Summer2024',
      headers: bearer(admin.token),
    })
    expect(bad.statusCode).toBe(400)
    expect(bad.json().validation_errors).toEqual([
      { field: 'username_hash', message: 'must be 16 lowercase hexadecimal digits' },
    ])
  })
})

describe.each(dialects())(
  'every stored field is bounded, in events and summaries (%s)',
  (dialect) => {
    let ctx: TestContext
    let addresses = 0

    beforeAll(async () => {
      ctx = await buildTestApp(dialect, { env: { APIOPS_TRUST_PROXY: 'true' } })
    })
    afterAll(() => ctx.close())

    /**
     * The same oversized request, enough times to be folded, from an address of its own:
     * the rows it wrote, the summary among them last.
     */
    async function flood(request: {
      method?: 'GET' | 'POST' | 'DELETE'
      url: string
      headers?: Record<string, string>
    }) {
      addresses += 1
      const remoteAddress = `192.0.2.${addresses}`
      const headers = { authorization: 'Bearer junk', ...request.headers }
      for (let i = 0; i < FIRST + 3; i++) {
        const res = await ctx.app.inject({ ...request, headers, remoteAddress })
        expect(res.statusCode).toBe(401)
      }
      await ctx.services.audit.close()
      const forwarded = request.headers?.['x-forwarded-for']
      const all = (await rows(ctx)).filter((r) =>
        forwarded ? r.client_ip.startsWith(forwarded.slice(0, 10)) : r.client_ip === remoteAddress,
      )
      expect(all).toHaveLength(FIRST + 1)
      const summary = summaries(all)[0] as AuditEventRow
      expect(summary.folded_count).toBe(3)
      return { verbatim: all.filter((r) => r !== summary), summary }
    }

    const capped = (text: string, max: number) => {
      expect(text.length).toBeLessThanOrEqual(max)
      expect(text.endsWith('…')).toBe(true)
    }
    const bounded = (row: AuditEventRow) => {
      for (const [field, max] of [
        [row.target, LIMITS.target],
        [row.user_agent, LIMITS.userAgent],
        [row.client_ip, LIMITS.ip],
        [row.action, LIMITS.action],
        [row.actor_username ?? '', LIMITS.username],
      ] as const) {
        expect(field.length).toBeLessThanOrEqual(max)
      }
    }

    it('the path of a request no route matched', async () => {
      const { verbatim, summary } = await flood({
        method: 'POST',
        url: `/apiops/${'p'.repeat(3000)}`,
      })
      for (const row of verbatim) {
        expect(row.action).toBe('request.denied')
        expect(row.target.startsWith('operation=unknownRoute path=/apiops/ppp')).toBe(true)
        bounded(row)
      }
      bounded(summary)
    })

    it('the user agent, which a summary repeats when every folded request sent the same', async () => {
      const { verbatim, summary } = await flood({
        method: 'POST',
        url: '/apiops/projects/',
        headers: { 'user-agent': 'u'.repeat(5000) },
      })
      for (const row of [...verbatim, summary]) capped(row.user_agent, LIMITS.userAgent)
    })

    it('the target, made of several long route parameters', async () => {
      const long = (c: string) => c.repeat(450)
      const { verbatim, summary } = await flood({
        method: 'DELETE',
        url: `/apiops/projects/${long('a')}/apiProxies/${long('b')}/environments/${long('c')}/`,
      })
      for (const row of verbatim) {
        expect(row.target.startsWith('operation=undeployApiProxy ')).toBe(true)
        capped(row.target, LIMITS.target)
      }
      bounded(summary)
    })

    it('the client address, in events and in the summary that names it', async () => {
      const { verbatim, summary } = await flood({
        method: 'POST',
        url: '/apiops/projects/',
        headers: { 'x-forwarded-for': 'f'.repeat(300) },
      })
      for (const row of verbatim) capped(row.client_ip, LIMITS.ip)
      bounded(summary)
      expect(summary.target).toMatch(/^3 more invalid_token from f{64} between /)
    })

    it('the username tried at login: stored only as the unknown-user marker and its hash', async () => {
      await tokenLogin(ctx, 'n'.repeat(3000), '192.0.2.250')
      const row = (await rows(ctx)).at(-1) as AuditEventRow
      expect(row.actor_username).toBe('(unknown user)')
      expect(row.username_hash).toMatch(/^[0-9a-f]{16}$/)
      expect(JSON.stringify(row)).not.toContain('nnnnnnnnnnnnnnnn')
    })

    it('the action, where a caller without a request names one', async () => {
      for (let i = 0; i < FIRST + 3; i++) {
        ctx.services.audit.write({
          action: `cli:${'a'.repeat(500)}`,
          clientIp: 'local',
          outcome: 'failure',
          status: 404,
        })
      }
      await ctx.services.audit.close()
      const all = (await rows(ctx)).filter((r) => r.client_ip === 'local')
      expect(all).toHaveLength(FIRST + 1)
      const [summary] = summaries(all)
      expect(summary).toMatchObject({
        folded_count: 3,
        target: expect.stringMatching(/^3 more http_404 from local /),
      })
      for (const row of all) {
        if (row !== summary) capped(row.action, LIMITS.action)
      }
    })
  },
)
