import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { jsonBlocks } from './fixtures/proxy-group-examples.ts'
import { buildSecurityWorld, type SecurityWorld } from './fixtures/security-objects.ts'
import { dialects } from './helpers.ts'

const REFERENCE =
  '/work/shared/reference/apinizer-management-api-docs/02-api-reference/07-credentials'

/** The docs' own bodies (checked against the pages when they are here). */
const CREATE_EXAMPLES = [
  {
    email: 'user@example.com',
    fullName: 'John Doe',
    description: 'API user credential',
    username: 'api-user',
    password: 'SecurePassword123!',
    roleNameList: ['API_USER'],
    enabled: true,
    ipList: [],
    expireDate: null,
  },
  {
    email: 'restricted@example.com',
    fullName: 'Restricted User',
    description: 'Credential with IP restrictions',
    username: 'restricted-user',
    password: 'SecurePassword123!',
    roleNameList: ['API_USER', 'DEVELOPER'],
    enabled: true,
    ipList: ['192.168.1.100', '10.0.0.0/8', '172.16.0.0/12'],
    expireDate: null,
  },
  {
    email: 'temporary@example.com',
    fullName: 'Temporary User',
    description: 'Temporary credential with expiration',
    username: 'temp-user',
    password: 'SecurePassword123!',
    roleNameList: ['API_USER'],
    enabled: true,
    ipList: [],
    expireDate: '2024-12-31T23:59:59.000Z',
  },
  {
    email: 'disabled@example.com',
    fullName: 'Disabled User',
    description: 'Disabled credential',
    username: 'disabled-user',
    password: 'SecurePassword123!',
    roleNameList: ['API_USER'],
    enabled: false,
    ipList: [],
    expireDate: null,
  },
]
const PASSWORD_EXAMPLE = { password: 'NewSecurePassword123!' }
const GRANT_ONE = { credentialAccessList: [{ name: 'MyAPI', type: 'API_PROXY' }] }
const GRANT_MANY = {
  credentialAccessList: [
    { name: 'MyAPI', type: 'API_PROXY' },
    { name: 'PaymentAPI', type: 'API_PROXY' },
    { name: 'MyAPIGroup', type: 'API_PROXY_GROUP' },
  ],
}

describe.runIf(existsSync(REFERENCE))('the credential examples', () => {
  it("are the reference pages' own", () => {
    const page = (name: string) => jsonBlocks(readFileSync(join(REFERENCE, name), 'utf8'))
    for (const e of CREATE_EXAMPLES) expect(page('crud/create-credential.md')).toContainEqual(e)
    expect(page('crud/change-credential-password.md')).toContainEqual(PASSWORD_EXAMPLE)
    for (const name of ['access/grant-access.md', 'access/revoke-access.md']) {
      expect(page(name)).toContainEqual(GRANT_ONE)
      expect(page(name)).toContainEqual(GRANT_MANY)
    }
  })
})

const P = '/apiops/projects/Payments'
const C = `${P}/credentials`

describe.each(dialects())('credential access (%s)', (dialect) => {
  let w: SecurityWorld
  beforeAll(async () => {
    w = await buildSecurityWorld(dialect)
    for (const name of ['MyAPI', 'PaymentAPI', 'Other']) {
      const res = await w.call('POST', `${P}/apiProxies/url/`, w.admin, {
        apiProxyName: name,
        apiProxyCreationType: 'REVERSE_PROXY',
        routingInfo: { routingAddressList: [{ address: 'https://backend.example' }] },
      })
      expect(res.statusCode, res.body).toBe(200)
    }
    const group = await w.call('POST', `${P}/apiProxyGroups/`, w.admin, {
      name: 'MyAPIGroup',
      clientRoute: { relativePathList: ['/group'] },
    })
    expect(group.statusCode, group.body).toBe(200)
  })
  afterAll(() => w.ctx.close())

  const ok = async (
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    url: string,
    body?: unknown,
  ) => {
    const res = await w.call(method, url, w.security, body)
    expect(res.statusCode, `${method} ${url}: ${res.body}`).toBe(200)
    return res.json()
  }
  const granted = async (username: string) =>
    (await ok('GET', `${C}/${username}/access/`)).resultList

  it("creates credentials from every one of the docs' examples, and changes a password as documented", async () => {
    for (const example of CREATE_EXAMPLES) {
      const answer = await ok('POST', `${C}/`, example)
      expect(answer).toMatchObject({ success: true, deploymentResult: { success: true } })
      expect(answer.credential).toMatchObject({
        username: example.username,
        roleNameList: example.roleNameList,
        ipList: example.ipList,
        enabled: example.enabled,
        expired: example.expireDate !== null,
        password: '********',
      })
    }
    const list = await ok('GET', `${C}/`)
    expect(list.resultList.map((c: { username: string }) => c.username)).toEqual([
      'api-user',
      'disabled-user',
      'restricted-user',
      'temp-user',
    ])
    expect(await ok('PATCH', `${C}/api-user/`, PASSWORD_EXAMPLE)).toMatchObject({ success: true })
  })

  it("grants the docs' example access lists and lists them back", async () => {
    expect(await granted('api-user')).toEqual([])
    const one = await ok('PUT', `${C}/api-user/access/`, GRANT_ONE)
    expect(one.deploymentResult.environmentResults).toEqual([
      { environmentName: 'production', success: true, message: 'Deployed' },
    ])
    await ok('PUT', `${C}/restricted-user/access/`, GRANT_MANY)
    expect(await granted('restricted-user')).toEqual([
      { name: 'MyAPI', type: 'API_PROXY' },
      { name: 'PaymentAPI', type: 'API_PROXY' },
      { name: 'MyAPIGroup', type: 'API_PROXY_GROUP' },
    ])
    const listed = await ok('GET', `${C}/restricted-user/access/`)
    expect(listed).toMatchObject({ status: 'SUCCESS', success: true, resultCount: 3 })
  })

  it('refuses a grant held already, or to what does not exist, and changes nothing', async () => {
    const again = await w.call('PUT', `${C}/api-user/access/`, w.security, GRANT_MANY)
    expect(again.statusCode).toBe(409)
    expect(again.json().error_description).toBe(
      "Credential 'api-user' already has access to API proxy 'MyAPI'.",
    )
    const ghost = await w.call('PUT', `${C}/temp-user/access/`, w.security, {
      credentialAccessList: [
        { name: 'PaymentAPI', type: 'API_PROXY' },
        { name: 'Ghost', type: 'API_PROXY_GROUP' },
      ],
    })
    expect(ghost.statusCode).toBe(404)
    expect(ghost.json().error_description).toBe(
      "API proxy group 'Ghost' in project 'Payments' was not found.",
    )
    expect(await granted('temp-user')).toEqual([])
    expect(await granted('api-user')).toEqual([{ name: 'MyAPI', type: 'API_PROXY' }])
    for (const body of [
      {},
      { credentialAccessList: [] },
      { credentialAccessList: [{ name: 'MyAPI' }] },
      { credentialAccessList: [{ name: 'MyAPI', type: 'PROXY' }] },
      { credentialAccessList: [{ name: '', type: 'API_PROXY' }] },
    ]) {
      const bad = await w.call('PUT', `${C}/api-user/access/`, w.security, body)
      expect(bad.statusCode, JSON.stringify(body)).toBe(400)
      expect(bad.json().error_description).toContain('credentialAccessList')
    }
  })

  it('revokes what was granted; a grant the credential lacks refuses the whole request', async () => {
    const lacking = await w.call('DELETE', `${C}/restricted-user/access/`, w.security, {
      credentialAccessList: [
        { name: 'MyAPI', type: 'API_PROXY' },
        { name: 'Other', type: 'API_PROXY' },
      ],
    })
    expect(lacking.statusCode).toBe(404)
    expect(lacking.json().error_description).toBe(
      "Access of credential 'restricted-user' to API proxy 'Other' was not found.",
    )
    expect(await granted('restricted-user')).toHaveLength(3)
    const revoked = await ok('DELETE', `${C}/restricted-user/access/`, GRANT_ONE)
    expect(revoked.deploymentResult.environmentResults[0].message).toBe('Undeployed')
    expect(await granted('restricted-user')).toEqual([
      { name: 'PaymentAPI', type: 'API_PROXY' },
      { name: 'MyAPIGroup', type: 'API_PROXY_GROUP' },
    ])
  })

  it('loses a grant when its proxy or group is deleted, and keeps it through a rename', async () => {
    const renamed = await w.call(
      'PATCH',
      `${P}/apiProxies/PaymentAPI/settings/metadata/`,
      w.admin,
      { name: 'PaymentsAPI' },
    )
    expect(renamed.statusCode, renamed.body).toBe(200)
    expect(await granted('restricted-user')).toContainEqual({
      name: 'PaymentsAPI',
      type: 'API_PROXY',
    })
    const deleted = await w.call('DELETE', `${P}/apiProxyGroups/MyAPIGroup/`, w.admin)
    expect(deleted.statusCode).toBe(200)
    expect(await granted('restricted-user')).toEqual([{ name: 'PaymentsAPI', type: 'API_PROXY' }])
  })

  it('lets members read grants, only ROLE_API_SECURITY change them, and hides the project from others', async () => {
    const read = await w.call('GET', `${C}/restricted-user/access/`, w.developer)
    expect(read.statusCode).toBe(200)
    const write = await w.call('PUT', `${C}/api-user/access/`, w.developer, GRANT_ONE)
    expect(write.statusCode).toBe(403)
    expect(write.json().error_description).toContain('ROLE_API_SECURITY')
    const outsider = await w.call('GET', `${C}/api-user/access/`, w.outsider)
    expect(outsider.statusCode).toBe(404)
    const unknown = await w.call('GET', `${C}/nobody/access/`, w.security)
    expect(unknown.json().error_description).toBe(
      "Credential 'nobody' in project 'Payments' was not found.",
    )
  })

  it('records grants and revokes in the audit log', async () => {
    await w.ctx.services.audit.flush()
    const rows = await w.ctx.store.db
      .selectFrom('audit_events')
      .select(['action', 'target'])
      .where('action', 'in', ['credential.accessGranted', 'credential.accessRevoked'])
      .orderBy('action')
      .execute()
    expect(rows).toEqual([
      {
        action: 'credential.accessGranted',
        target: "project=Payments credential=api-user targets=API proxy 'MyAPI'",
      },
      {
        action: 'credential.accessGranted',
        target:
          "project=Payments credential=restricted-user targets=API proxy 'MyAPI',API proxy 'PaymentAPI',API proxy group 'MyAPIGroup'",
      },
      {
        action: 'credential.accessRevoked',
        target: "project=Payments credential=restricted-user targets=API proxy 'MyAPI'",
      },
    ])
  })
})
