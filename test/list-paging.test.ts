import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bearer, buildTestApp, dialects, makeUser, type TestContext, tokenFor } from './helpers.ts'

/**
 * Lists page in the database: by page number, or by the nextCursor of the previous page
 * (keyset). Walking a list either way gives the same items in the same order, the order
 * the lists always had (code point order for names, nulls first ascending, the default
 * field breaking ties, then the row's id), with nothing lost or repeated at the edges.
 */

interface ListAnswer {
  resultList: Record<string, unknown>[]
  resultCount: number
  totalCount: number
  totalCountExact: boolean
  page: number
  size: number
  nextCursor: string | null
}

const P = '/apiops/projects/Payments'
// Upper case sorts before lower case by code point, whatever the database's locale.
const NAMES = ['orders', 'Zeta', 'alpha', 'Beta', 'beta', 'Ärger', 'z-9', 'z_9', 'A']

describe.each(dialects())('paging lists (%s)', (dialect) => {
  let ctx: TestContext
  let token: string
  let aliceId: string

  const get = async (url: string) => {
    const res = await ctx.app.inject({ url, headers: bearer(token) })
    expect(res.statusCode, `${url}: ${res.body}`).toBe(200)
    return res.json() as ListAnswer
  }
  const refused = async (url: string) => {
    const res = await ctx.app.inject({ url, headers: bearer(token) })
    expect(res.statusCode, url).toBe(400)
    return res.json() as { error: string; error_description: string }
  }

  /** Every item, following nextCursor from the first page. */
  const walkByCursor = async (url: string, size: number) => {
    const sep = url.includes('?') ? '&' : '?'
    const items: Record<string, unknown>[] = []
    let answer = await get(`${url}${sep}size=${size}`)
    let pages = 1
    for (;;) {
      items.push(...answer.resultList)
      expect(answer.resultCount).toBe(answer.resultList.length)
      if (answer.nextCursor === null) break
      // A cursor is given only when there is more: never an empty page after it.
      expect(answer.resultCount).toBe(size)
      answer = await get(`${url}${sep}size=${size}&after=${answer.nextCursor}`)
      expect(answer.resultCount).toBeGreaterThan(0)
      pages++
    }
    return { items, pages }
  }

  /** Every item, by page number until a short page. */
  const walkByPage = async (url: string, size: number) => {
    const sep = url.includes('?') ? '&' : '?'
    const items: Record<string, unknown>[] = []
    for (let page = 0; ; page++) {
      const answer = await get(`${url}${sep}size=${size}&page=${page}`)
      items.push(...answer.resultList)
      if (answer.resultCount < size) return items
    }
  }

  beforeAll(async () => {
    ctx = await buildTestApp(dialect)
    const admin = await makeUser(ctx, 'root', ['ROLE_ADMIN'])
    aliceId = (await makeUser(ctx, 'alice')).id
    token = (await tokenFor(ctx, admin.id)).token
    const post = (url: string, payload: object) =>
      ctx.app.inject({ method: 'POST', url, payload, headers: bearer(token) })
    expect((await post('/apiops/projects/', { name: 'Payments' })).statusCode).toBe(201)
    for (const [i, name] of NAMES.entries()) {
      ctx.clock.advance(1000)
      const res = await post(`${P}/apiProxies/url/`, {
        apiProxyName: name,
        apiProxyCreationType: 'REVERSE_PROXY',
        // Paths in another order than the names, to tell the two sorts apart.
        clientRoute: { relativePathList: [`/p${(i * 7) % NAMES.length}`, `/extra-${i}`] },
        routingInfo: { routingAddressList: [{ address: 'https://backend.internal' }] },
      })
      expect(res.statusCode, res.body).toBe(200)
    }
    // Tokens created in the same millisecond, some never expiring: ties and nulls.
    for (let i = 0; i < 7; i++) {
      const expiresAt = i % 3 === 0 ? null : new Date(Date.UTC(2030, 0, 1 + (i % 2)))
      await tokenFor(ctx, aliceId, { name: `t${i % 4}`, expiresAt })
    }
  })
  afterAll(() => ctx.close())

  it('sorts names by code point, as the lists always did, whatever the locale', async () => {
    const names = (await get(`${P}/apiProxies/`)).resultList.map((p) => p.name)
    expect(names).toEqual([...NAMES].sort())
    const descending = (await get(`${P}/apiProxies/?sort=name,desc`)).resultList.map((p) => p.name)
    expect(descending).toEqual([...NAMES].sort().reverse())
  })

  it.each(['name', 'name,desc', 'relativePath', 'relativePath,desc'])(
    'walks proxies sorted by %s the same by cursor and by page, at every page size',
    async (sort) => {
      const url = `${P}/apiProxies/?sort=${sort}`
      const all = (await get(url)).resultList
      expect(all).toHaveLength(NAMES.length)
      for (const size of [1, 2, 3, NAMES.length - 1, NAMES.length, NAMES.length + 1]) {
        const { items, pages } = await walkByCursor(url, size)
        expect(items, `size ${size}`).toEqual(all)
        expect(pages).toBe(Math.ceil(NAMES.length / size))
        expect(await walkByPage(url, size), `size ${size}`).toEqual(all)
      }
    },
  )

  it('answers the edges: the last page exactly full, a page past the end, the counts', async () => {
    const size = 3 // NAMES.length is a multiple of 3
    const last = await get(`${P}/apiProxies/?size=${size}&page=${NAMES.length / size - 1}`)
    expect(last).toMatchObject({ resultCount: 3, totalCount: NAMES.length, nextCursor: null })
    const past = await get(`${P}/apiProxies/?size=${size}&page=${NAMES.length / size}`)
    expect(past).toMatchObject({
      resultList: [],
      resultCount: 0,
      totalCount: NAMES.length,
      totalCountExact: true,
      nextCursor: null,
    })
    const first = await get(`${P}/apiProxies/?size=${size}`)
    expect(first.nextCursor).toEqual(expect.any(String))
    const second = await get(`${P}/apiProxies/?size=${size}&after=${first.nextCursor}`)
    // The same total and page fields, whichever way the page was reached.
    expect(second).toMatchObject({ page: 0, size, totalCount: NAMES.length })
  })

  it('walks tokens with tied creation times and null expiries without losing or repeating one', async () => {
    for (const sort of ['createdAt,desc', 'expiresAt', 'expiresAt,desc', 'name', 'status']) {
      const url = `/apiops/users/alice/tokens/?sort=${sort}`
      const all = (await get(url)).resultList
      expect(all).toHaveLength(7)
      expect(new Set(all.map((t) => t.id)).size).toBe(7)
      for (const size of [1, 2, 4]) {
        expect((await walkByCursor(url, size)).items, `${sort} by ${size}`).toEqual(all)
      }
    }
    // Null expiries first ascending, last descending; ties by creation then id.
    const ascending = (await get('/apiops/users/alice/tokens/?sort=expiresAt')).resultList
    expect(ascending.slice(0, 3).map((t) => t.expiresAt)).toEqual([null, null, null])
    const descending = (await get('/apiops/users/alice/tokens/?sort=expiresAt,desc')).resultList
    expect(descending.slice(-3).map((t) => t.expiresAt)).toEqual([null, null, null])
  })

  /** The action the proxy creates were recorded under (the newest event is the last one). */
  const createAction = async () =>
    (await get('/apiops/audit/?size=1')).resultList[0]?.action as string

  it('walks the audit log by cursor, newest or oldest first, filtered, through tied instants', async () => {
    const action = await createAction()
    // The frozen clock stamps many events with one instant: the id breaks the tie.
    for (const url of [
      '/apiops/audit/',
      '/apiops/audit/?sort=at,asc',
      `/apiops/audit/?action=${action}`,
    ]) {
      const all = (await get(url)).resultList
      expect(all.length).toBeGreaterThan(3)
      for (const size of [1, 4]) {
        expect((await walkByCursor(url, size)).items, url).toEqual(all)
        expect(await walkByPage(url, size), url).toEqual(all)
      }
    }
    const proxies = (await get(`/apiops/audit/?action=${action}`)).resultList
    expect(proxies).toHaveLength(NAMES.length)
  })

  it('refuses a cursor from another sort, a made-up one, or one with a page number', async () => {
    const { nextCursor } = await get(`${P}/apiProxies/?size=2`)
    const other = await refused(`${P}/apiProxies/?size=2&sort=name,desc&after=${nextCursor}`)
    expect(other).toEqual({
      error: 'invalid_parameter',
      error_description:
        'after: not a cursor of this list in this order; pass the nextCursor of the previous page, with the same sort',
    })
    expect((await refused(`${P}/apiProxies/?after=bm90LWEtY3Vyc29y`)).error).toBe(
      'invalid_parameter',
    )
    expect((await refused(`${P}/apiProxies/?after=${nextCursor}&page=1`)).error_description).toBe(
      'after: give either page or after, not both',
    )
    const malformed = await refused(`${P}/apiProxies/?after=abc%2Bdef`)
    expect(malformed.error).toBe('validation_failed')
    // A proxy list's cursor means nothing to the audit log.
    expect((await refused(`/apiops/audit/?after=${nextCursor}`)).error).toBe('invalid_parameter')
  })

  it('counts the audit log no further than 1,000, and says so', async () => {
    const action = await createAction()
    const at = '2020-01-01T00:00:00.000Z'
    for (let start = 0; start < 1001; start += 500) {
      await ctx.store.db
        .insertInto('audit_events')
        .values(
          Array.from({ length: Math.min(500, 1001 - start) }, (_, i) => ({
            id: `0000filler${String(start + i).padStart(8, '0')}`,
            at,
            actor_user_id: null,
            actor_username: 'filler',
            token_id: null,
            client_ip: '10.0.0.1',
            user_agent: 'bulk',
            action: 'bulk.filler',
            target: '',
            outcome: 'success',
            status: 200,
            folded_count: null,
            username_hash: null,
          })),
        )
        .execute()
    }
    const all = await get('/apiops/audit/?size=1')
    expect(all).toMatchObject({ totalCount: 1000, totalCountExact: false })
    const exact = await get(`/apiops/audit/?action=${action}&size=1`)
    expect(exact).toMatchObject({ totalCount: NAMES.length, totalCountExact: true })
    // The oldest page, by cursor, from the far end of the log.
    const oldest = await get('/apiops/audit/?sort=at,asc&size=2')
    const next = await get(`/apiops/audit/?sort=at,asc&size=2&after=${oldest.nextCursor}`)
    expect(next.resultList.map((e) => e.id)).toEqual(['0000filler00000002', '0000filler00000003'])
  }, 60_000)
})
