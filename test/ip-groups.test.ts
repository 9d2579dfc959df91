import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Dialect } from '../src/db/create-db.ts'
import { jsonBlocks } from './fixtures/proxy-group-examples.ts'
import { bearer, buildTestApp, dialects, makeUser, type TestContext, tokenFor } from './helpers.ts'

const REFERENCE =
  process.env.APIOPS_REFERENCE_DOCS_IP_GROUPS ??
  '/work/shared/reference/apinizer-management-api-docs/02-api-reference/11-ip-groups'

/** The docs' own request bodies (checked against the pages below when they are here). */
const CREATE_EXAMPLES = [
  { name: 'AllowedIPs', description: 'Allowed IP addresses for API access' },
  { name: 'BlockedIPs' },
]
const UPDATE_EXAMPLE = {
  name: 'AllowedIPs',
  description: 'Updated description for allowed IP addresses',
}
const ADD_EXAMPLES = [
  { ipList: ['192.168.1.100'] },
  { ipList: ['192.168.1.100', '192.168.1.101', '10.0.0.50'] },
  { ipList: ['192.168.1.100', '10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'] },
]

describe.runIf(existsSync(REFERENCE))('the IP group examples', () => {
  it("are the reference pages' own", () => {
    const page = (name: string) => jsonBlocks(readFileSync(join(REFERENCE, name), 'utf8'))
    for (const e of CREATE_EXAMPLES) expect(page('crud/create-ip-group.md')).toContainEqual(e)
    expect(page('crud/update-ip-group.md')).toContainEqual(UPDATE_EXAMPLE)
    for (const e of ADD_EXAMPLES) expect(page('ips/add-ips-to-group.md')).toContainEqual(e)
    for (const name of ['crud/create-ip-group.md', 'ips/add-ips-to-group.md']) {
      expect(page(name)).toContainEqual({ success: true })
    }
  })
})

const P = '/apiops/projects/Edge/ipGroups'

describe.each(dialects())('IP groups (%s)', (dialect: Dialect) => {
  let ctx: TestContext
  const tokens: Record<string, string> = {}
  const call = (method: string, url: string, who: string, payload?: unknown) =>
    ctx.app.inject({
      method: method as 'GET',
      url,
      headers: bearer(tokens[who] as string),
      ...(payload === undefined ? {} : { payload: payload as object }),
    })
  const ok = async (method: string, url: string, payload?: unknown) => {
    const res = await call(method, url, 'ops', payload)
    expect(res.statusCode, res.body).toBe(200)
    return res.json()
  }
  const ipList = async (name: string) => (await ok('GET', `${P}/${name}/`)).ipGroup.ipList

  beforeAll(async () => {
    ctx = await buildTestApp(dialect)
    const users = {
      admin: ['ROLE_ADMIN'],
      ops: ['ROLE_MANAGE_PROXIES'],
      security: ['ROLE_API_SECURITY'],
      stranger: ['ROLE_MANAGE_PROXIES'],
    } as const
    for (const [name, roles] of Object.entries(users)) {
      const user = await makeUser(ctx, name, [...roles])
      tokens[name] = (await tokenFor(ctx, user.id)).token
    }
    await call('POST', '/apiops/projects/', 'admin', { name: 'Edge' })
    for (const username of ['ops', 'security'])
      await call('POST', '/apiops/projects/Edge/members/', 'admin', { username })
  })
  afterAll(() => ctx.close())

  it("creates groups from the docs' examples, empty, and lists them", async () => {
    for (const example of CREATE_EXAMPLES) {
      expect(await ok('POST', `${P}/`, example)).toEqual({ status: 'SUCCESS', success: true })
    }
    const list = await ok('GET', `${P}/`)
    expect(
      list.resultList.map((g: { name: string; ipCount: number }) => [g.name, g.ipCount]),
    ).toEqual([
      ['AllowedIPs', 0],
      ['BlockedIPs', 0],
    ])
    const blocked = (await ok('GET', `${P}/BlockedIPs/`)).ipGroup
    expect(blocked).toMatchObject({ name: 'BlockedIPs', description: '', ipList: [] })
  })

  it('refuses a second group of the same name, and an empty or missing name, precisely', async () => {
    const again = await call('POST', `${P}/`, 'ops', { name: 'AllowedIPs' })
    expect(again.statusCode).toBe(409)
    expect(again.json().error_description).toContain("IP group 'AllowedIPs' in project 'Edge'")
    for (const body of [{}, { name: '' }, { name: 'x', color: 'red' }]) {
      const res = await call('POST', `${P}/`, 'ops', body)
      expect(res.statusCode, JSON.stringify(body)).toBe(400)
      expect(res.json().error_description).toMatch(/name|color/)
    }
  })

  it("adds the docs' example lists: duplicates (however spelled) are kept once", async () => {
    for (const example of ADD_EXAMPLES) await ok('POST', `${P}/AllowedIPs/ips/`, example)
    expect(await ipList('AllowedIPs')).toEqual([
      '192.168.1.100',
      '192.168.1.101',
      '10.0.0.50',
      '10.0.0.0/8',
      '172.16.0.0/12',
      '192.168.0.0/16',
    ])
    const v6 = await ok('POST', `${P}/AllowedIPs/ips/`, {
      ipList: ['2001:DB8:0:0::1', '2001:db8::1', '2001:db8::/32', '::ffff:10.1.2.3', '10.0.0.50'],
    })
    expect(v6).toEqual({ status: 'SUCCESS', success: true, added: 3, removed: 0, ipCount: 9 })
    expect((await ipList('AllowedIPs')).slice(6)).toEqual([
      '2001:db8::1',
      '2001:db8::/32',
      '::ffff:10.1.2.3',
    ])
  })

  it('refuses every malformed entry, naming each by its index, and stores none of the request', async () => {
    const res = await call('POST', `${P}/AllowedIPs/ips/`, 'ops', {
      ipList: [
        '8.8.8.8',
        '127.1',
        '0x7f000001',
        '10.0.0.1/8',
        '1.2.3.4/33',
        'fe80::1%eth0',
        'host.example',
      ],
    })
    expect(res.statusCode).toBe(400)
    const text = res.json().error_description as string
    expect(text).toContain("ipList.1 '127.1' is not an IPv4 address (four decimal parts")
    expect(text).toContain("ipList.2 '0x7f000001'")
    expect(text).toContain(
      "ipList.3 '10.0.0.1/8' has bits set after the prefix: the range it names is 10.0.0.0/8",
    )
    expect(text).toContain(
      "ipList.4 '1.2.3.4/33' has a prefix length that is not a whole number from 0 to 32",
    )
    expect(text).toContain("ipList.5 'fe80::1%eth0' has a zone index")
    expect(text).toContain("ipList.6 'host.example'")
    expect(text).not.toContain('ipList.0')
    expect(await ipList('AllowedIPs')).not.toContain('8.8.8.8')
    const empty = await call('POST', `${P}/AllowedIPs/ips/`, 'ops', { ipList: [] })
    expect(empty.statusCode).toBe(400)
    expect(empty.json().error_description).toContain('ipList')
  })

  it('removes what is named (ignoring what is absent) and replaces the whole list', async () => {
    const removed = await ok('DELETE', `${P}/AllowedIPs/ips/`, {
      ipList: ['10.0.0.0/8', '2001:DB8::1', '203.0.113.9'],
    })
    expect(removed).toMatchObject({ added: 0, removed: 2, ipCount: 7 })
    const replaced = await ok('PUT', `${P}/AllowedIPs/ips/`, {
      ipList: ['192.168.1.100', '198.51.100.0/24'],
    })
    expect(replaced).toMatchObject({ added: 1, removed: 6, ipCount: 2 })
    expect(await ipList('AllowedIPs')).toEqual(['192.168.1.100', '198.51.100.0/24'])
    expect(await ok('PUT', `${P}/BlockedIPs/ips/`, { ipList: [] })).toMatchObject({ ipCount: 0 })
  })

  it('updates only the description, refuses a rename, and deletes', async () => {
    expect(await ok('PUT', `${P}/AllowedIPs/`, UPDATE_EXAMPLE)).toEqual({
      status: 'SUCCESS',
      success: true,
    })
    const group = (await ok('GET', `${P}/AllowedIPs/`)).ipGroup
    expect(group.description).toBe(UPDATE_EXAMPLE.description)
    expect(group.ipList).toHaveLength(2)
    const rename = await call('PUT', `${P}/AllowedIPs/`, 'ops', { name: 'Renamed' })
    expect(rename.statusCode).toBe(400)
    expect(rename.json().error_description).toContain('cannot be renamed')
    await ok('DELETE', `${P}/BlockedIPs/`)
    for (const [method, url, body] of [
      ['GET', `${P}/BlockedIPs/`, undefined],
      ['PUT', `${P}/BlockedIPs/`, { name: 'BlockedIPs' }],
      ['POST', `${P}/BlockedIPs/ips/`, { ipList: ['10.0.0.1'] }],
      ['DELETE', `${P}/BlockedIPs/`, undefined],
    ] as const) {
      const res = await call(method, url, 'ops', body)
      expect(res.statusCode, `${method} ${url}`).toBe(404)
      expect(res.json().error_description).toBe(
        "IP group 'BlockedIPs' in project 'Edge' was not found.",
      )
    }
  })

  it('needs ROLE_MANAGE_PROXIES even to read, and membership of the project', async () => {
    const denied = await call('GET', `${P}/`, 'security')
    expect(denied.statusCode).toBe(403)
    expect(denied.json().error_description).toContain('ROLE_MANAGE_PROXIES')
    const outsider = await call('POST', `${P}/`, 'stranger', { name: 'Mine' })
    expect(outsider.statusCode).toBe(404)
    expect(outsider.json().error_description).toContain("Project 'Edge'")
  })

  it('records each change in the audit log, and a change that changes nothing not at all', async () => {
    await ok('POST', `${P}/`, { name: 'Audited' })
    await ok('POST', `${P}/Audited/ips/`, { ipList: ['10.1.0.0/16'] })
    await ok('POST', `${P}/Audited/ips/`, { ipList: ['10.1.0.0/16'] })
    await ctx.services.audit.flush()
    const rows = await ctx.store.db
      .selectFrom('audit_events')
      .select(['action', 'target'])
      .where('action', 'like', 'ipGroup.%')
      .where('target', 'like', '%ipGroup=Audited%')
      .orderBy('action')
      .execute()
    expect(rows).toEqual([
      { action: 'ipGroup.created', target: 'project=Edge ipGroup=Audited' },
      {
        action: 'ipGroup.entriesChanged',
        target: 'project=Edge ipGroup=Audited change=add added=1 removed=0',
      },
    ])
  })
})
