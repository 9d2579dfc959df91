import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  ANSWER_PAGES,
  CREATE_EXAMPLES,
  curlBodies,
  DOCUMENTED_ANSWERS,
  expectDocumentedShape,
  jsonBlocks,
  REFERENCE_DIR,
  UPDATE_EXAMPLE,
} from './fixtures/proxy-group-examples.ts'
import { dialects } from './helpers.ts'
import { base, GroupsWorld } from './proxy-groups-support.ts'

const reference = process.env.APIOPS_REFERENCE_DOCS ?? REFERENCE_DIR

describe.runIf(existsSync(reference))('the example bodies', () => {
  it("are the reference pages' own", () => {
    const page = (name: string) => readFileSync(join(reference, 'crud', name), 'utf8')
    const create = jsonBlocks(page('create-api-proxy-group.md'))
    for (const example of CREATE_EXAMPLES) expect(create).toContainEqual(example)
    expect(curlBodies(page('update-api-proxy-group.md'))).toContainEqual(UPDATE_EXAMPLE)
  })

  it("and the success answers are the pages' own", () => {
    for (const [answer, pages] of Object.entries(ANSWER_PAGES)) {
      for (const name of pages) {
        const blocks = jsonBlocks(readFileSync(join(reference, name), 'utf8'))
        expect(blocks, name).toContainEqual(
          DOCUMENTED_ANSWERS[answer as keyof typeof DOCUMENTED_ANSWERS],
        )
      }
    }
  })
})

describe.each(dialects())('API proxy groups: CRUD, roles, membership (%s)', (dialect) => {
  let w: GroupsWorld
  beforeAll(async () => {
    w = await GroupsWorld.build(dialect)
  })
  afterAll(() => w.ctx.close())

  describe('create, list, read, update', () => {
    it("creates a group from each of the docs' example bodies and lists them", async () => {
      for (const example of CREATE_EXAMPLES) {
        const created = await w.ok('POST', `${base}/`, 'grouper', example)
        expectDocumentedShape(created, DOCUMENTED_ANSWERS.success)
        expect(created.apiProxyGroup).toMatchObject({
          name: example.name,
          description: example.description,
          clientRoute: example.clientRoute,
          apiProxies: [],
          revision: 1,
        })
      }
      const list = await w.ok('GET', `${base}/`, 'grouper')
      expectDocumentedShape(list, DOCUMENTED_ANSWERS.list)
      expect(list).toMatchObject({ success: true, resultCount: 3 })
      expect(list.resultList.map((g: { name: string }) => g.name)).toEqual([
        'PaymentAPIGroup',
        'RestrictedAPIGroup',
        'VersionedAPIGroup',
      ])
      for (const group of list.resultList) {
        expect(Object.keys(group).sort()).toEqual(['description', 'id', 'name'])
        expect(group.id).toMatch(/^[0-9a-f-]{36}$/)
      }
      const restricted = await w.ok('GET', `${base}/RestrictedAPIGroup/`, 'grouper')
      expect(restricted.clientRoute.hostList).toEqual([
        'api.example.com',
        'api-staging.example.com',
      ])
    })

    it('fills in the documented defaults and answers without the trailing slash', async () => {
      const created = await w.ok('POST', base, 'grouper', {
        name: 'Minimal',
        clientRoute: { relativePathList: ['/minimal'] },
      })
      expect(created.apiProxyGroup).toMatchObject({
        description: '',
        clientRoute: {
          relativePathList: ['/minimal'],
          methodList: null,
          hostList: null,
          headerList: null,
          bufferRequest: true,
          bufferResponse: true,
        },
      })
      expect((await w.call('DELETE', `${base}/Minimal`, 'grouper')).statusCode).toBe(200)
    })

    it.each([
      [{ description: 'x', clientRoute: { relativePathList: ['/a1'] } }, 'name'],
      [{ name: 'NoRoute' }, 'clientRoute'],
      [{ name: 'NoPaths', clientRoute: { relativePathList: [] } }, 'clientRoute.relativePathList'],
      [
        { name: 'EmptyPath', clientRoute: { relativePathList: [''] } },
        'clientRoute.relativePathList.0',
      ],
      [
        { name: 'ShortPath', clientRoute: { relativePathList: ['/'] } },
        'clientRoute.relativePathList.0',
      ],
      [
        { name: 'BadMethod', clientRoute: { relativePathList: ['/ok'], methodList: ['FETCH'] } },
        'clientRoute.methodList.0',
      ],
      [
        {
          name: 'BadHeader',
          clientRoute: { relativePathList: ['/ok'], headerList: [{ name: 'a b', value: 'v' }] },
        },
        'clientRoute.headerList.0.name',
      ],
      [{ name: 'Extra', clientRoute: { relativePathList: ['/ok'] }, colour: 'red' }, 'colour'],
      [{ name: 'has space', clientRoute: { relativePathList: ['/ok'] } }, 'name'],
    ])('refuses %j with a 400 naming %s', async (body, field) => {
      const res = await w.call('POST', `${base}/`, 'grouper', body)
      expect(res.statusCode, res.body).toBe(400)
      expect(res.json().error).toBe('validation_failed')
      expect(res.json().validation_errors.map((v: { field: string }) => v.field)).toContain(field)
    })

    it('refuses a second group of the same name (409) and unknown or foreign projects (404)', async () => {
      const again = await w.call('POST', `${base}/`, 'grouper', CREATE_EXAMPLES[0])
      expect(again.statusCode).toBe(409)
      expect(again.json()).toMatchObject({ error: 'duplicate_name' })
      expect(again.json().error_description).toContain("'PaymentAPIGroup'")
      const unknown = await w.call(
        'POST',
        '/apiops/projects/Nope/apiProxyGroups/',
        'grouper',
        CREATE_EXAMPLES[0],
      )
      expect(unknown.statusCode).toBe(404)
      for (const [method, url] of [
        ['GET', `${base}/`],
        ['POST', `${base}/`],
        ['GET', `${base}/PaymentAPIGroup/`],
      ]) {
        const res = await w.call(method as string, url as string, 'outsider', CREATE_EXAMPLES[1])
        expect(res.statusCode, `${method} ${url}`).toBe(404)
        expect(res.json().error_description).toContain("Project 'MyProject'")
      }
    })

    it("updates with the docs' example body; the name picks the group", async () => {
      const updated = await w.ok('PUT', `${base}/`, 'grouper', UPDATE_EXAMPLE)
      expectDocumentedShape(updated, DOCUMENTED_ANSWERS.success)
      expect(updated.apiProxyGroup).toMatchObject({
        name: 'PaymentAPIGroup',
        description: 'Updated Payment API Group',
        clientRoute: { relativePathList: ['/api/v2/payment'], hostList: null },
        revision: 2,
      })
      expect(
        (await w.ok('GET', `${base}/PaymentAPIGroup/`, 'grouper')).clientRoute.relativePathList,
      ).toEqual(['/api/v2/payment'])
      const missing = await w.call('PUT', `${base}/`, 'grouper', {
        ...UPDATE_EXAMPLE,
        name: 'Ghost',
      })
      expect(missing.statusCode).toBe(404)
      expect(missing.json().error_description).toContain("API proxy group 'Ghost'")
    })
  })

  describe('roles, as documented per endpoint', () => {
    it('needs ROLE_MANAGE_PROXY_GROUPS for every group route, reads included', async () => {
      for (const [method, url] of [
        ['GET', `${base}/`],
        ['POST', `${base}/`],
        ['GET', `${base}/PaymentAPIGroup/environments/`],
        ['DELETE', `${base}/PaymentAPIGroup/`],
        ['POST', `${base}/PaymentAPIGroup/environments/production/`],
      ] as const) {
        const res = await w.call(method, url, 'proxyOps', CREATE_EXAMPLES[2])
        expect(res.statusCode, `${method} ${url}`).toBe(403)
        expect(res.json().error_description).toContain('ROLE_MANAGE_PROXY_GROUPS')
      }
    })

    it('needs ROLE_MANAGE_PROXIES too for membership and both proxy roles for deployment', async () => {
      const member = await w.call(
        'POST',
        `${base}/PaymentAPIGroup/apiProxies/PaymentAPI/`,
        'groupsOnly',
      )
      expect(member.statusCode).toBe(403)
      expect(member.json().error_description).toContain('ROLE_MANAGE_PROXIES')
      for (const method of ['POST', 'DELETE']) {
        const res = await w.call(
          method,
          `${base}/PaymentAPIGroup/environments/production/`,
          'groupsOnly',
        )
        expect(res.statusCode).toBe(403)
        expect(res.json().error_description).toContain('ROLE_MANAGE_PROXIES')
      }
      expect((await w.call('GET', `${base}/`, 'groupsOnly')).statusCode).toBe(200)
      expect((await w.ctx.app.inject({ url: `${base}/` })).statusCode).toBe(401)
    })
  })

  describe('membership', () => {
    const url = (group: string, proxy: string) => `${base}/${group}/apiProxies/${proxy}/`

    it('adds proxies of the same project; adding again succeeds and says nothing changed', async () => {
      const added = await w.ok('POST', url('PaymentAPIGroup', 'PaymentAPI'), 'grouper')
      expectDocumentedShape(added, DOCUMENTED_ANSWERS.success)
      expect(added).toMatchObject({ success: true, changed: true })
      const again = await w.ok('POST', url('PaymentAPIGroup', 'PaymentAPI'), 'grouper')
      expect(again).toMatchObject({ success: true, changed: false })
      expect(again.message).toContain('already')
      await w.ok('POST', url('PaymentAPIGroup', 'RefundAPI'), 'grouper')
      expect(await w.members('PaymentAPIGroup')).toEqual(['PaymentAPI', 'RefundAPI'])
    })

    it('answers 404 for an unknown proxy, a proxy of another project, an unknown group', async () => {
      for (const [target, says] of [
        [url('PaymentAPIGroup', 'MyAPI'), "API proxy 'MyAPI' in project 'MyProject'"],
        [url('PaymentAPIGroup', 'OtherAPI'), "API proxy 'OtherAPI' in project 'MyProject'"],
        [url('Ghost', 'PaymentAPI'), "API proxy group 'Ghost'"],
      ] as const) {
        for (const method of ['POST', 'DELETE']) {
          const res = await w.call(method, target, 'grouper')
          expect(res.statusCode, `${method} ${target}`).toBe(404)
          expect(res.json()).toMatchObject({ error: 'not_found' })
          expect(res.json().error_description).toContain(says)
        }
      }
    })

    it('removes a member (the proxy stays); removing a non-member succeeds and says so', async () => {
      await w.ok('POST', url('RestrictedAPIGroup', 'UserAPI'), 'grouper')
      const removed = await w.ok('DELETE', url('RestrictedAPIGroup', 'UserAPI'), 'grouper')
      expectDocumentedShape(removed, DOCUMENTED_ANSWERS.success)
      expect(removed).toMatchObject({ success: true, changed: true })
      const again = await w.ok('DELETE', url('RestrictedAPIGroup', 'UserAPI'), 'grouper')
      expect(again).toMatchObject({ success: true, changed: false })
      expect(again.message).toContain('was not a member')
      expect(await w.members('RestrictedAPIGroup')).toEqual([])
      expect(
        (await w.call('GET', '/apiops/projects/MyProject/apiProxies/UserAPI/', 'admin')).statusCode,
      ).toBe(200)
    })
  })
})
