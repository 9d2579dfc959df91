import { generateKeyPairSync } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Action, POLICY, type Rule } from '../src/identity/policy/permissions.ts'
import { createCanary } from '../src/identity/tokens/canary.service.ts'
import type { Role } from '../src/identity/users/roles.ts'
import { testMmdb } from './fixtures/mmdb.ts'
import { certificateUpload } from './fixtures/multipart.ts'
import { specForm, upload, wsdlFixture } from './fixtures/spec-upload.ts'
import { bearer, buildTestApp, dialects, makeUser, type TestContext, tokenFor } from './helpers.ts'

/**
 * Every registered route, every kind of caller, one expected status. The routes come
 * from the server's own route table, so a route added without an entry here fails.
 */

type Actor =
  | 'anonymous'
  | 'admin'
  | 'manage'
  | 'deploy'
  | 'security'
  | 'groups'
  | 'grouper'
  | 'plain'
  | 'outsider'
const ACTORS: Actor[] = [
  'anonymous',
  'admin',
  'manage',
  'deploy',
  'security',
  'groups',
  'grouper',
  'plain',
  'outsider',
]
const ROLES_OF: Record<Exclude<Actor, 'anonymous'>, Role[]> = {
  admin: ['ROLE_ADMIN'],
  manage: ['ROLE_MANAGE_PROXIES'],
  deploy: ['ROLE_DEPLOY_UNDEPLOY_PROXIES'],
  security: ['ROLE_API_SECURITY'],
  groups: ['ROLE_MANAGE_PROXY_GROUPS'],
  /** Every role a group route can ask for, so each one is seen succeeding without ROLE_ADMIN. */
  grouper: ['ROLE_MANAGE_PROXY_GROUPS', 'ROLE_MANAGE_PROXIES', 'ROLE_DEPLOY_UNDEPLOY_PROXIES'],
  plain: [],
  outsider: [
    'ROLE_MANAGE_PROXIES',
    'ROLE_DEPLOY_UNDEPLOY_PROXIES',
    'ROLE_MANAGE_PROXY_GROUPS',
    'ROLE_API_SECURITY',
  ],
}
/** Every actor but the outsider and anonymous is a member of project P. */
const MEMBERS: Actor[] = ['manage', 'deploy', 'security', 'groups', 'grouper', 'plain']

/**
 * Who may call a route: anyone signed in, or whoever the policy lets do the action. What
 * each caller gets is computed from the policy's table (see `expected`), never restated.
 */
type Access = 'any' | Action

interface Call {
  url: string
  payload?: unknown
  headers?: Record<string, string>
}

interface Entry {
  access: Access
  ok: number
  /** Builds a request that succeeds for an allowed caller; may create what it needs first. */
  make: (fx: Fixtures, n: number) => Promise<Call> | Call
}

interface Fixtures {
  ctx: TestContext
  admin: string
  adminCall: (
    method: string,
    url: string,
    payload?: unknown,
  ) => Promise<{ statusCode: number; json(): Record<string, unknown> }>
  userId: Record<Actor, string>
}

const proxyBody = (name: string) => ({
  apiProxyName: name,
  apiProxyCreationType: 'REVERSE_PROXY',
  clientRoute: { relativePathList: [`/${name}`] },
  routingInfo: { routingAddressList: [{ address: 'https://backend.internal' }] },
})

const connectionBody = (name: string) => ({
  name,
  type: 'webhook',
  fullUrl: 'https://hooks.example.com/apiops',
})
const credentialBody = (username: string) => ({
  username,
  email: `${username}@example.com`,
  fullName: 'API consumer',
  password: 'long enough pw',
})
const variableBody = (name: string) => ({
  name,
  global: true,
  globalValue: 'v',
  globalVisible: false,
})
/** A rate limit on every endpoint of the matrix's proxy. */
const rlclLimits = {
  endpointRateLimitList: [
    {
      apiProxyName: 'base',
      endpointName: 'ALL',
      endpointHTTPMethod: 'ALL',
      permittedMessageCount: 10,
      timeIntervalPeriodLength: 1,
      timeInterval: 'ONE_MINUTE',
      cacheConnectionTimeoutInSeconds: 3,
      cacheErrorHandlingType: 'FAIL',
      timeIntervalWindowType: 'FIXED',
    },
  ],
}

/** A multipart upload of the fixture certificate (certificates take forms, not JSON). */
const certificateForm = (name?: string): Pick<Call, 'payload' | 'headers'> =>
  certificateUpload(name)
async function freshCertificate(fx: Fixtures, n: number): Promise<string> {
  const name = `cert${n}`
  const form = certificateForm(name)
  const res = await fx.ctx.app.inject({
    method: 'POST',
    url: '/apiops/projects/P/certificates/',
    headers: { ...bearer(fx.admin), ...form.headers },
    payload: form.payload as string,
  })
  expect(res.statusCode).toBe(200)
  return name
}

const PUBLIC_KEY = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  .publicKey.export({ type: 'spki', format: 'pem' })
  .toString()
const keyBody = (name: string) => ({
  name,
  keyType: 'EC',
  cryptoKeyInfoEnvironmentList: [{ environmentName: 'E', publicKey: PUBLIC_KEY }],
})
const JKS = readFileSync(new URL('./fixtures/keystore.jks', import.meta.url)).toString('base64')
const keystoreBody = (name: string) => ({
  name,
  keyStoreEnvironmentList: [{ environmentName: 'E', type: 'JKS', file: JKS, password: 'changeit' }],
})
/** Made by the administrator (a member of P through the fixture). */
async function fresh(fx: Fixtures, kind: 'keys' | 'keystores', n: number): Promise<string> {
  const name = `${kind}${n}`
  const body = kind === 'keys' ? keyBody(name) : keystoreBody(name)
  const res = await fx.adminCall('POST', `/apiops/projects/P/${kind}/`, body)
  expect(res.statusCode).toBe(200)
  return name
}

/** A pasted symmetric JWK, and a generate body that costs nothing (Ed25519). */
const OCT_JWK = JSON.stringify({ kty: 'oct', k: 'c2VjcmV0LWtleS1vZi0zMi1ieXRlcy1mb3ItdGVzdHM' })
const jwkGenerateBody = (name: string) => ({ name, type: 'OKP', okp: { curveType: 'ED25519' } })
const JWK_USE = { environmentName: 'E', useType: 'SIGNATURE', algorithm: 'RS256' }

/** A multipart upload of the test MaxMind database. */
const mmdbUpload = () => specForm([{ name: 'file', value: testMmdb(), filename: 'test.mmdb' }])

async function freshProxy(fx: Fixtures, n: number): Promise<string> {
  const name = `px${n}`
  const res = await fx.adminCall('POST', '/apiops/projects/P/apiProxies/url/', proxyBody(name))
  expect(res.statusCode).toBe(200)
  return name
}

/** An export ZIP of a proxy that no longer exists, as a form for an import route. */
async function exportForm(fx: Fixtures, n: number): Promise<Pick<Call, 'payload' | 'headers'>> {
  const name = await freshProxy(fx, n)
  const zipped = await fx.ctx.app.inject({
    url: `/apiops/projects/P/apiProxies/${name}/export/`,
    headers: bearer(fx.admin),
  })
  expect(zipped.statusCode).toBe(200)
  expect((await fx.adminCall('DELETE', `/apiops/projects/P/apiProxies/${name}/`)).statusCode).toBe(
    200,
  )
  return specForm([{ name: 'apiProxyExportFile', value: zipped.rawPayload, filename: 'p.zip' }])
}

/** The endpoint of proxy `base` the endpoint routes read and change. */
const ENDPOINTS = '/apiops/projects/P/apiProxies/base/endpoints'
const endpointBody = (name: string) => ({
  name,
  httpMethod: 'GET',
  backendResourceUrl: name,
  backendHttpMethod: 'GET',
})
const ENDPOINT = { name: '/e', httpMethod: 'GET' }
const POLICIES = '/apiops/projects/P/apiProxies/base/policies'
const policyBody = () => ({
  operationMetadata: { targetScope: 'ALL', targetPipeline: 'REQUEST', deploy: false },
  policy: { type: 'policy-black-ip', ipList: ['10.0.0.1'] },
})
const IDENTIFIER = { identifierName: '/e', identifierHttpMethod: 'GET' }

const groupBody = (name: string) => ({
  name,
  description: 'a group',
  clientRoute: { relativePathList: [`/${name}`], methodList: ['ALL'], hostList: null },
})

async function freshGroup(fx: Fixtures, n: number): Promise<string> {
  const name = `grp${n}`
  const res = await fx.adminCall('POST', '/apiops/projects/P/apiProxyGroups/', groupBody(name))
  expect(res.statusCode).toBe(200)
  return name
}

async function freshUser(fx: Fixtures, n: number): Promise<string> {
  const name = `u${n}`
  await fx.adminCall('POST', '/apiops/users/', {
    username: name,
    password: 'long enough pw',
    roles: ['ROLE_API_SECURITY'],
  })
  return name
}

async function canaryFor(ctx: TestContext, userId: string): Promise<{ id: string; token: string }> {
  const issued = await createCanary(
    ctx.services,
    { id: userId, username: 'matrix' },
    { name: 'canary', source: 'cli' },
  )
  return { id: issued.view.id, token: issued.token }
}

async function freshToken(fx: Fixtures, owner: string): Promise<string> {
  const users = (await fx.adminCall('GET', `/apiops/users/${owner}/`)).json()
  return (await tokenFor(fx.ctx, users.id as string)).id
}

const MATRIX: Record<string, Entry> = {
  'GET /apiops/test/hello/:name': {
    access: 'any',
    ok: 200,
    make: () => ({ url: '/apiops/test/hello/x' }),
  },
  'GET /apiops/me/': { access: 'any', ok: 200, make: () => ({ url: '/apiops/me/' }) },
  'PATCH /apiops/me/': {
    access: 'any',
    ok: 200,
    make: () => ({ url: '/apiops/me/', payload: { email: 'me@example.com' } }),
  },
  'GET /apiops/me/token-policy/': {
    access: 'any',
    ok: 200,
    make: () => ({ url: '/apiops/me/token-policy/' }),
  },
  'GET /apiops/me/tokens/': { access: 'any', ok: 200, make: () => ({ url: '/apiops/me/tokens/' }) },
  'POST /apiops/me/tokens/': {
    access: 'token.create',
    ok: 201,
    make: () => ({ url: '/apiops/me/tokens/', payload: { name: 'x', expiresAt: null } }),
  },
  // The token id is resolved per caller below: each revokes one of their own (OWN), or
  // rotates the very token it presents (SELF: a token may rotate only itself).
  'DELETE /apiops/me/tokens/:id/': {
    access: 'any',
    ok: 200,
    make: () => ({ url: '/apiops/me/tokens/OWN/' }),
  },
  'POST /apiops/me/tokens/:id/rotate/': {
    access: 'any',
    ok: 201,
    make: () => ({ url: '/apiops/me/tokens/SELF/rotate/' }),
  },
  'GET /apiops/me/canary-tokens/': {
    access: 'any',
    ok: 200,
    make: () => ({ url: '/apiops/me/canary-tokens/' }),
  },
  'POST /apiops/me/canary-tokens/': {
    access: 'any',
    ok: 201,
    make: () => ({ url: '/apiops/me/canary-tokens/', payload: { name: 'decoy' } }),
  },
  'DELETE /apiops/me/canary-tokens/:id/': {
    access: 'any',
    ok: 200,
    make: () => ({ url: '/apiops/me/canary-tokens/OWN_CANARY/' }),
  },
  'PUT /apiops/me/password/': {
    access: 'password.changeOwn',
    ok: 200,
    make: () => ({
      url: '/apiops/me/password/',
      payload: { currentPassword: 'correct horse battery', newPassword: 'another long pw' },
    }),
  },
  'GET /apiops/me/audit/': { access: 'any', ok: 200, make: () => ({ url: '/apiops/me/audit/' }) },
  'GET /apiops/me/can-i': {
    access: 'any',
    ok: 200,
    make: () => ({ url: '/apiops/me/can-i?method=POST&path=/apiops/projects/P/apiProxies/url/' }),
  },
  'GET /apiops/audit/': { access: 'administer', ok: 200, make: () => ({ url: '/apiops/audit/' }) },
  'GET /apiops/settings/': {
    access: 'administer',
    ok: 200,
    make: () => ({ url: '/apiops/settings/' }),
  },
  'PATCH /apiops/settings/': {
    access: 'administer',
    ok: 200,
    make: () => ({ url: '/apiops/settings/', payload: { tokenRateLimit: 0 } }),
  },
  'POST /apiops/settings/notifications/test/': {
    access: 'administer',
    ok: 200,
    make: async (fx) => {
      const hook = { webhook: { url: 'http://127.0.0.1:9/hook' } }
      const set = await fx.adminCall('PATCH', '/apiops/settings/', { notifications: hook })
      expect(set.statusCode, JSON.stringify(set.json())).toBe(200)
      return { url: '/apiops/settings/notifications/test/', payload: { channel: 'webhook' } }
    },
  },
  'GET /apiops/settings/geolocation': {
    access: 'administer',
    ok: 200,
    make: () => ({ url: '/apiops/settings/geolocation' }),
  },
  'PUT /apiops/settings/geolocation/mmdb': {
    access: 'administer',
    ok: 200,
    make: () => ({ url: '/apiops/settings/geolocation/mmdb', ...mmdbUpload() }),
  },
  'PUT /apiops/settings/geolocation/enable': {
    access: 'administer',
    ok: 200,
    make: async (fx) => {
      const upload = mmdbUpload()
      await fx.ctx.app.inject({
        method: 'PUT',
        url: '/apiops/settings/geolocation/mmdb',
        headers: { ...bearer(fx.admin), ...upload.headers },
        payload: upload.payload,
      })
      return { url: '/apiops/settings/geolocation/enable' }
    },
  },
  'PUT /apiops/settings/geolocation/disable': {
    access: 'administer',
    ok: 200,
    make: () => ({ url: '/apiops/settings/geolocation/disable' }),
  },
  'GET /apiops/session/': {
    access: 'session.own',
    ok: 200,
    make: () => ({ url: '/apiops/session/' }),
  },
  'DELETE /apiops/session/': {
    access: 'session.own',
    ok: 200,
    make: () => ({ url: '/apiops/session/' }),
  },

  'GET /apiops/users/': { access: 'administer', ok: 200, make: () => ({ url: '/apiops/users/' }) },
  'POST /apiops/users/': {
    access: 'administer',
    ok: 201,
    make: (_fx, n) => ({
      url: '/apiops/users/',
      payload: { username: `new${n}`, password: 'long enough pw' },
    }),
  },
  'GET /apiops/users/:username/': {
    access: 'administer',
    ok: 200,
    make: () => ({ url: '/apiops/users/plain/' }),
  },
  'PATCH /apiops/users/:username/': {
    access: 'administer',
    ok: 200,
    make: () => ({ url: '/apiops/users/plain/', payload: { email: 'plain@example.com' } }),
  },
  'DELETE /apiops/users/:username/': {
    access: 'administer',
    ok: 200,
    make: async (fx, n) => ({ url: `/apiops/users/${await freshUser(fx, n)}/` }),
  },
  'POST /apiops/users/:username/roles/': {
    access: 'administer',
    ok: 200,
    make: async (fx, n) => ({
      url: `/apiops/users/${await freshUser(fx, n)}/roles/`,
      payload: { roles: ['ROLE_MANAGE_PROXIES'] },
    }),
  },
  'DELETE /apiops/users/:username/roles/:role/': {
    access: 'administer',
    ok: 200,
    make: async (fx, n) => ({
      url: `/apiops/users/${await freshUser(fx, n)}/roles/ROLE_API_SECURITY/`,
    }),
  },
  'POST /apiops/users/:username/enable/': {
    access: 'administer',
    ok: 200,
    make: async (fx, n) => ({ url: `/apiops/users/${await freshUser(fx, n)}/enable/` }),
  },
  'POST /apiops/users/:username/disable/': {
    access: 'administer',
    ok: 200,
    make: async (fx, n) => ({ url: `/apiops/users/${await freshUser(fx, n)}/disable/` }),
  },
  'PUT /apiops/users/:username/password/': {
    access: 'administer',
    ok: 200,
    make: async (fx, n) => ({
      url: `/apiops/users/${await freshUser(fx, n)}/password/`,
      payload: { password: 'another long pw' },
    }),
  },
  'GET /apiops/users/:username/tokens/': {
    access: 'administer',
    ok: 200,
    make: () => ({ url: '/apiops/users/plain/tokens/' }),
  },
  'DELETE /apiops/users/:username/tokens/:id/': {
    access: 'administer',
    ok: 200,
    make: async (fx, n) => {
      const user = await freshUser(fx, n)
      return { url: `/apiops/users/${user}/tokens/${await freshToken(fx, user)}/` }
    },
  },
  'GET /apiops/users/:username/canary-tokens/': {
    access: 'administer',
    ok: 200,
    make: () => ({ url: '/apiops/users/plain/canary-tokens/' }),
  },
  'POST /apiops/users/:username/canary-tokens/': {
    access: 'administer',
    ok: 201,
    make: () => ({ url: '/apiops/users/plain/canary-tokens/', payload: { name: 'decoy' } }),
  },
  'DELETE /apiops/users/:username/canary-tokens/:id/': {
    access: 'administer',
    ok: 200,
    make: async (fx, n) => {
      const user = await freshUser(fx, n)
      const id = (await fx.adminCall('GET', `/apiops/users/${user}/`)).json().id as string
      return { url: `/apiops/users/${user}/canary-tokens/${(await canaryFor(fx.ctx, id)).id}/` }
    },
  },
  'DELETE /apiops/users/:username/tokens/': {
    access: 'administer',
    ok: 200,
    make: async (fx, n) => ({ url: `/apiops/users/${await freshUser(fx, n)}/tokens/` }),
  },
  'POST /apiops/users/:username/tokens/revoke-before/': {
    access: 'administer',
    ok: 200,
    make: async (fx, n) => ({
      url: `/apiops/users/${await freshUser(fx, n)}/tokens/revoke-before/`,
      payload: {},
    }),
  },
  // An instant before every token here, so the actors' own tokens survive.
  'POST /apiops/tokens/revoke-before/': {
    access: 'administer',
    ok: 200,
    make: () => ({
      url: '/apiops/tokens/revoke-before/',
      payload: { before: '2000-01-01T00:00:00Z' },
    }),
  },

  'GET /apiops/projects/': { access: 'any', ok: 200, make: () => ({ url: '/apiops/projects/' }) },
  'POST /apiops/projects/': {
    access: 'administer',
    ok: 201,
    make: (_fx, n) => ({ url: '/apiops/projects/', payload: { name: `proj${n}` } }),
  },
  'GET /apiops/projects/:projectName/': {
    access: 'project.read',
    ok: 200,
    make: () => ({ url: '/apiops/projects/P/' }),
  },
  'DELETE /apiops/projects/:projectName/': {
    access: 'administer',
    ok: 200,
    make: async (fx, n) => {
      await fx.adminCall('POST', '/apiops/projects/', { name: `gone${n}` })
      return { url: `/apiops/projects/gone${n}/` }
    },
  },
  'GET /apiops/projects/:projectName/members/': {
    access: 'project.read',
    ok: 200,
    make: () => ({ url: '/apiops/projects/P/members/' }),
  },
  'POST /apiops/projects/:projectName/members/': {
    access: 'administer',
    ok: 201,
    make: async (fx, n) => ({
      url: '/apiops/projects/P/members/',
      payload: { username: await freshUser(fx, n) },
    }),
  },
  'DELETE /apiops/projects/:projectName/members/:username/': {
    access: 'administer',
    ok: 200,
    make: async (fx, n) => {
      const user = await freshUser(fx, n)
      await fx.adminCall('POST', '/apiops/projects/P/members/', { username: user })
      return { url: `/apiops/projects/P/members/${user}/` }
    },
  },

  'GET /apiops/environments/': {
    access: 'administer',
    ok: 200,
    make: () => ({ url: '/apiops/environments/' }),
  },
  'GET /apiops/environments/:projectName': {
    access: 'project.read',
    ok: 200,
    make: () => ({ url: '/apiops/environments/P' }),
  },
  'POST /apiops/environments/': {
    access: 'administer',
    ok: 201,
    make: (_fx, n) => ({
      url: '/apiops/environments/',
      payload: { name: `env${n}`, type: 'TEST', accessUrl: 'https://x' },
    }),
  },
  'PUT /apiops/environments/:name/': {
    access: 'administer',
    ok: 200,
    make: () => ({ url: '/apiops/environments/E/', payload: { description: 'changed' } }),
  },
  'DELETE /apiops/environments/:name/': {
    access: 'administer',
    ok: 200,
    make: async (fx, n) => {
      await fx.adminCall('POST', '/apiops/environments/', {
        name: `del${n}`,
        type: 'TEST',
        accessUrl: 'https://x',
      })
      return { url: `/apiops/environments/del${n}/` }
    },
  },

  'GET /apiops/projects/:projectName/apiProxies/': {
    access: 'project.read',
    ok: 200,
    make: () => ({ url: '/apiops/projects/P/apiProxies/' }),
  },
  'GET /apiops/projects/:projectName/apiProxies/:apiProxyName/': {
    access: 'project.read',
    ok: 200,
    make: () => ({ url: '/apiops/projects/P/apiProxies/base/' }),
  },
  'GET /apiops/projects/:projectName/apiProxies/:apiProxyName/traffic/': {
    access: 'project.read',
    ok: 200,
    make: () => ({ url: '/apiops/projects/P/apiProxies/base/traffic/' }),
  },
  'GET /apiops/reports/api-proxies': {
    access: 'administer',
    ok: 200,
    make: () => ({ url: '/apiops/reports/api-proxies?includeEndpoints=true' }),
  },
  'GET /apiops/reports/organization-api-data-model-access': {
    access: 'administer',
    ok: 200,
    make: () => ({ url: '/apiops/reports/organization-api-data-model-access' }),
  },
  'GET /apiops/reports/traffic': {
    access: 'administer',
    ok: 200,
    make: () => ({ url: '/apiops/reports/traffic?groupBy=environment' }),
  },
  'GET /apiops/metrics': {
    access: 'administer',
    ok: 200,
    make: () => ({ url: '/apiops/metrics' }),
  },
  'POST /apiops/projects/:projectName/apiProxies/url/': {
    access: 'proxy.write',
    ok: 200,
    make: (_fx, n) => ({
      url: '/apiops/projects/P/apiProxies/url/',
      payload: proxyBody(`new${n}`),
    }),
  },
  'PUT /apiops/projects/:projectName/apiProxies/url/': {
    access: 'proxy.write',
    ok: 200,
    make: () => ({ url: '/apiops/projects/P/apiProxies/url/', payload: proxyBody('base') }),
  },
  'POST /apiops/projects/:projectName/apiProxies/file/': {
    access: 'proxy.write',
    ok: 200,
    make: (_fx, n) => ({
      url: '/apiops/projects/P/apiProxies/file/',
      ...upload(proxyBody(`file${n}`)),
    }),
  },
  'PUT /apiops/projects/:projectName/apiProxies/file/': {
    access: 'proxy.write',
    ok: 200,
    make: () => ({ url: '/apiops/projects/P/apiProxies/file/', ...upload(proxyBody('base')) }),
  },
  'GET /apiops/projects/:projectName/apiProxies/:apiProxyName/export/': {
    access: 'proxy.write',
    ok: 200,
    make: () => ({ url: '/apiops/projects/P/apiProxies/base/export/' }),
  },
  'POST /apiops/projects/:projectName/apiProxies/import/': {
    access: 'proxy.write',
    ok: 200,
    make: async (fx, n) => ({
      url: '/apiops/projects/P/apiProxies/import/',
      ...(await exportForm(fx, n)),
    }),
  },
  'PUT /apiops/projects/:projectName/apiProxies/:apiProxyName/import/': {
    access: 'proxy.write',
    ok: 200,
    make: async (fx, n) => ({
      url: `/apiops/projects/P/apiProxies/imp${n}/import/`,
      ...(await exportForm(fx, n)),
    }),
  },
  'DELETE /apiops/projects/:projectName/apiProxies/:apiProxyName/': {
    access: 'proxy.delete',
    ok: 200,
    make: async (fx, n) => ({ url: `/apiops/projects/P/apiProxies/${await freshProxy(fx, n)}/` }),
  },
  'POST /apiops/projects/:projectName/apiProxies/:apiProxyName/environments/:environmentName/': {
    access: 'proxy.deploy',
    ok: 200,
    make: () => ({ url: '/apiops/projects/P/apiProxies/base/environments/E/' }),
  },
  'DELETE /apiops/projects/:projectName/apiProxies/:apiProxyName/environments/:environmentName/': {
    access: 'proxy.deploy',
    ok: 200,
    make: () => ({ url: '/apiops/projects/P/apiProxies/base/environments/E/' }),
  },
  'GET /apiops/projects/:projectName/apiProxies/:apiProxyName/deployments/': {
    access: 'project.read',
    ok: 200,
    make: () => ({ url: '/apiops/projects/P/apiProxies/base/deployments/' }),
  },

  'PATCH /apiops/projects/:projectName/apiProxies/:apiProxyName/settings/client-route/': {
    access: 'proxy.write',
    ok: 200,
    make: () => ({
      url: '/apiops/projects/P/apiProxies/base/settings/client-route/',
      payload: { relativePathList: ['/base'], methodList: ['GET'] },
    }),
  },
  'PATCH /apiops/projects/:projectName/apiProxies/:apiProxyName/settings/addresses/': {
    access: 'proxy.write',
    ok: 200,
    make: () => ({
      url: '/apiops/projects/P/apiProxies/base/settings/addresses/',
      payload: { routingAddressList: [{ address: 'https://backend.internal' }] },
    }),
  },
  'PATCH /apiops/projects/:projectName/apiProxies/:apiProxyName/settings/routing-status/': {
    access: 'proxy.write',
    ok: 200,
    make: () => ({
      url: '/apiops/projects/P/apiProxies/base/settings/routing-status/',
      payload: { routingEnabled: true },
    }),
  },
  'PATCH /apiops/projects/:projectName/apiProxies/:apiProxyName/settings/metadata/': {
    access: 'proxy.write',
    ok: 200,
    make: () => ({
      url: '/apiops/projects/P/apiProxies/base/settings/metadata/',
      payload: { description: 'd' },
    }),
  },
  'PATCH /apiops/projects/:projectName/apiProxies/:apiProxyName/settings/keys/': {
    access: 'proxy.write',
    ok: 200,
    make: () => ({
      url: '/apiops/projects/P/apiProxies/base/settings/keys/',
      payload: { publicKey: 'ak_1' },
    }),
  },
  'PATCH /apiops/projects/:projectName/apiProxies/:apiProxyName/settings/cache/': {
    access: 'proxy.write',
    ok: 200,
    make: () => ({
      url: '/apiops/projects/P/apiProxies/base/settings/cache/',
      payload: { name: 'c', handlingAction: 'STOP' },
    }),
  },
  'PATCH /apiops/projects/:projectName/apiProxies/:apiProxyName/settings/circuit-breaker/': {
    access: 'proxy.write',
    ok: 200,
    make: () => ({
      url: '/apiops/projects/P/apiProxies/base/settings/circuit-breaker/',
      payload: { circuitBreakerEnabled: false },
    }),
  },
  'PATCH /apiops/projects/:projectName/apiProxies/:apiProxyName/settings/connection/': {
    access: 'proxy.write',
    ok: 200,
    make: () => ({
      url: '/apiops/projects/P/apiProxies/base/settings/connection/',
      payload: { retryCount: 1 },
    }),
  },
  'PATCH /apiops/projects/:projectName/apiProxies/:apiProxyName/settings/cors/': {
    access: 'proxy.write',
    ok: 200,
    make: () => ({
      url: '/apiops/projects/P/apiProxies/base/settings/cors/',
      payload: { name: 'c' },
    }),
  },
  'PATCH /apiops/projects/:projectName/apiProxies/:apiProxyName/settings/forwarded-ip-header/': {
    access: 'proxy.write',
    ok: 200,
    make: () => ({
      url: '/apiops/projects/P/apiProxies/base/settings/forwarded-ip-header/',
      payload: { xffOrder: 'LAST' },
    }),
  },
  'PATCH /apiops/projects/:projectName/apiProxies/:apiProxyName/settings/json-error-template/': {
    access: 'proxy.write',
    ok: 200,
    make: () => ({
      url: '/apiops/projects/P/apiProxies/base/settings/json-error-template/',
      payload: { permitSpecialChars: false },
    }),
  },
  'PATCH /apiops/projects/:projectName/apiProxies/:apiProxyName/settings/xml-error-template/': {
    access: 'proxy.write',
    ok: 200,
    make: () => ({
      url: '/apiops/projects/P/apiProxies/base/settings/xml-error-template/',
      payload: { permitSpecialChars: false },
    }),
  },
  'PATCH /apiops/projects/:projectName/apiProxies/:apiProxyName/settings/mtls/': {
    access: 'proxy.write',
    ok: 200,
    make: () => ({
      url: '/apiops/projects/P/apiProxies/base/settings/mtls/',
      payload: { enabled: false },
    }),
  },
  'PATCH /apiops/projects/:projectName/apiProxies/:apiProxyName/settings/ntlm/': {
    access: 'proxy.write',
    ok: 200,
    make: () => ({
      url: '/apiops/projects/P/apiProxies/base/settings/ntlm/',
      payload: { enabled: false },
    }),
  },
  'PATCH /apiops/projects/:projectName/apiProxies/:apiProxyName/settings/proxy-server/': {
    access: 'proxy.write',
    ok: 200,
    make: () => ({
      url: '/apiops/projects/P/apiProxies/base/settings/proxy-server/',
      payload: { proxyEnabled: false },
    }),
  },
  'PATCH /apiops/projects/:projectName/apiProxies/:apiProxyName/settings/traffic-log/': {
    access: 'proxy.write',
    ok: 200,
    make: () => ({
      url: '/apiops/projects/P/apiProxies/base/settings/traffic-log/',
      payload: { enabledTraceLog: false },
    }),
  },
  'PATCH /apiops/projects/:projectName/apiProxies/:apiProxyName/settings/hide-spec-file/:hideSpecFile/':
    {
      access: 'proxy.write',
      ok: 200,
      make: () => ({ url: '/apiops/projects/P/apiProxies/base/settings/hide-spec-file/true/' }),
    },
  'GET /apiops/projects/:projectName/apiProxies/:apiProxyName/endpoints/': {
    access: 'endpoint.read',
    ok: 200,
    make: () => ({ url: `${ENDPOINTS}/` }),
  },
  'POST /apiops/projects/:projectName/apiProxies/:apiProxyName/endpoints/': {
    access: 'proxy.write',
    ok: 200,
    make: (_fx, n) => ({ url: `${ENDPOINTS}/`, payload: endpointBody(`/new${n}`) }),
  },
  'PATCH /apiops/projects/:projectName/apiProxies/:apiProxyName/endpoints/': {
    access: 'proxy.write',
    ok: 200,
    make: () => ({ url: `${ENDPOINTS}/`, payload: { ...ENDPOINT, description: 'changed' } }),
  },
  'POST /apiops/projects/:projectName/apiProxies/:apiProxyName/endpoints/details/': {
    access: 'endpoint.read',
    ok: 200,
    make: () => ({ url: `${ENDPOINTS}/details/`, payload: ENDPOINT }),
  },
  'POST /apiops/projects/:projectName/apiProxies/:apiProxyName/endpoints/policies/': {
    access: 'endpoint.read',
    ok: 200,
    make: () => ({ url: `${ENDPOINTS}/policies/`, payload: ENDPOINT }),
  },
  'GET /apiops/projects/:projectName/apiProxies/:apiProxyName/policies/': {
    access: 'policy.read',
    ok: 200,
    make: () => ({ url: `${POLICIES}/` }),
  },
  'POST /apiops/projects/:projectName/apiProxies/:apiProxyName/policies/:policyName/': {
    access: 'proxy.write',
    ok: 200,
    make: (_fx, n) => ({ url: `${POLICIES}/added${n}/`, payload: policyBody() }),
  },
  'PUT /apiops/projects/:projectName/apiProxies/:apiProxyName/policies/:policyName/': {
    access: 'proxy.write',
    ok: 200,
    make: async (fx, n) => {
      await fx.adminCall('POST', `${POLICIES}/kept${n}/`, policyBody())
      return { url: `${POLICIES}/kept${n}/`, payload: policyBody() }
    },
  },
  'DELETE /apiops/projects/:projectName/apiProxies/:apiProxyName/policies/:policyName/': {
    access: 'proxy.write',
    ok: 200,
    make: async (fx, n) => {
      await fx.adminCall('POST', `${POLICIES}/gone${n}/`, policyBody())
      const { operationMetadata } = policyBody()
      return { url: `${POLICIES}/gone${n}/`, payload: { operationMetadata } }
    },
  },
  'POST /apiops/projects/:projectName/apiProxies/:apiProxyName/endpoints/delete/': {
    access: 'proxy.write',
    ok: 200,
    make: async (fx, n) => {
      await fx.adminCall('POST', `${ENDPOINTS}/`, endpointBody(`/gone${n}`))
      return { url: `${ENDPOINTS}/delete/`, payload: { name: `/gone${n}`, httpMethod: 'GET' } }
    },
  },
  'PATCH /apiops/projects/:projectName/apiProxies/:apiProxyName/endpoints/status/': {
    access: 'proxy.write',
    ok: 200,
    make: () => ({ url: `${ENDPOINTS}/status/`, payload: { ...IDENTIFIER, active: false } }),
  },
  'PATCH /apiops/projects/:projectName/apiProxies/:apiProxyName/endpoints/cache/': {
    access: 'proxy.write',
    ok: 200,
    make: () => ({
      url: `${ENDPOINTS}/cache/`,
      payload: { ...IDENTIFIER, cacheSettings: { name: 'c', handlingAction: 'STOP' } },
    }),
  },
  'PATCH /apiops/projects/:projectName/apiProxies/:apiProxyName/endpoints/wsa/': {
    access: 'proxy.write',
    ok: 200,
    make: () => ({
      url: '/apiops/projects/P/apiProxies/soap/endpoints/wsa/',
      payload: {
        identifierName: '/GetOrder',
        identifierHttpMethod: 'POST',
        wsaSettings: { wsaEnabled: false },
      },
    }),
  },
  'GET /apiops/projects/:projectName/apiProxyGroups/': {
    access: 'group.read',
    ok: 200,
    make: () => ({ url: '/apiops/projects/P/apiProxyGroups/' }),
  },
  'POST /apiops/projects/:projectName/apiProxyGroups/': {
    access: 'group.write',
    ok: 200,
    make: (_fx, n) => ({ url: '/apiops/projects/P/apiProxyGroups/', payload: groupBody(`g${n}`) }),
  },
  'PUT /apiops/projects/:projectName/apiProxyGroups/': {
    access: 'group.write',
    ok: 200,
    make: () => ({ url: '/apiops/projects/P/apiProxyGroups/', payload: groupBody('G') }),
  },
  'GET /apiops/projects/:projectName/apiProxyGroups/:apiProxyGroupName/': {
    access: 'group.read',
    ok: 200,
    make: () => ({ url: '/apiops/projects/P/apiProxyGroups/G/' }),
  },
  'DELETE /apiops/projects/:projectName/apiProxyGroups/:apiProxyGroupName/': {
    access: 'group.write',
    ok: 200,
    make: async (fx, n) => ({
      url: `/apiops/projects/P/apiProxyGroups/${await freshGroup(fx, n)}/`,
    }),
  },
  'POST /apiops/projects/:projectName/apiProxyGroups/:apiProxyGroupName/apiProxies/:apiProxyName/':
    {
      access: 'group.members',
      ok: 200,
      make: () => ({ url: '/apiops/projects/P/apiProxyGroups/G/apiProxies/base/' }),
    },
  'DELETE /apiops/projects/:projectName/apiProxyGroups/:apiProxyGroupName/apiProxies/:apiProxyName/':
    {
      access: 'group.members',
      ok: 200,
      make: () => ({ url: '/apiops/projects/P/apiProxyGroups/G/apiProxies/base/' }),
    },
  'GET /apiops/projects/:projectName/apiProxyGroups/:apiProxyGroupName/environments/': {
    access: 'group.read',
    ok: 200,
    make: () => ({ url: '/apiops/projects/P/apiProxyGroups/G/environments/' }),
  },
  'POST /apiops/projects/:projectName/apiProxyGroups/:apiProxyGroupName/environments/:environmentName/':
    {
      access: 'group.deploy',
      ok: 200,
      make: () => ({ url: '/apiops/projects/P/apiProxyGroups/G/environments/E/' }),
    },
  'DELETE /apiops/projects/:projectName/apiProxyGroups/:apiProxyGroupName/environments/:environmentName/':
    {
      access: 'group.deploy',
      ok: 200,
      make: () => ({ url: '/apiops/projects/P/apiProxyGroups/G/environments/E/' }),
    },

  'GET /apiops/projects/:projectName/connections/': {
    access: 'project.read',
    ok: 200,
    make: () => ({ url: '/apiops/projects/P/connections/' }),
  },
  'POST /apiops/projects/:projectName/connections/': {
    access: 'security.write',
    ok: 201,
    make: (_fx, n) => ({
      url: '/apiops/projects/P/connections/',
      payload: connectionBody(`conn${n}`),
    }),
  },
  'POST /apiops/projects/:projectName/connections/:name/': {
    access: 'security.write',
    ok: 200,
    make: (_fx, n) => ({
      url: `/apiops/projects/P/connections/named${n}/`,
      payload: connectionBody(`named${n}`),
    }),
  },
  'GET /apiops/projects/:projectName/connections/:name/': {
    access: 'project.read',
    ok: 200,
    make: () => ({ url: '/apiops/projects/P/connections/base/' }),
  },
  'GET /apiops/projects/:projectName/connections/:name/secrets/': {
    access: 'security.reveal',
    ok: 200,
    make: () => ({ url: '/apiops/projects/P/connections/base/secrets/' }),
  },
  'PUT /apiops/projects/:projectName/connections/:name/': {
    access: 'security.write',
    ok: 200,
    make: () => ({ url: '/apiops/projects/P/connections/base/', payload: connectionBody('base') }),
  },
  'DELETE /apiops/projects/:projectName/connections/:name/': {
    access: 'security.write',
    ok: 200,
    make: async (fx, n) => {
      await fx.adminCall('POST', '/apiops/projects/P/connections/', connectionBody(`gone${n}`))
      return { url: `/apiops/projects/P/connections/gone${n}/` }
    },
  },

  'GET /apiops/projects/:projectName/credentials/': {
    access: 'project.read',
    ok: 200,
    make: () => ({ url: '/apiops/projects/P/credentials/' }),
  },
  'POST /apiops/projects/:projectName/credentials/': {
    access: 'security.write',
    ok: 200,
    make: (_fx, n) => ({
      url: '/apiops/projects/P/credentials/',
      payload: credentialBody(`consumer${n}`),
    }),
  },
  'GET /apiops/projects/:projectName/credentials/:username/': {
    access: 'project.read',
    ok: 200,
    make: () => ({ url: '/apiops/projects/P/credentials/base/' }),
  },
  'PUT /apiops/projects/:projectName/credentials/:username/': {
    access: 'security.write',
    ok: 200,
    make: () => ({
      url: '/apiops/projects/P/credentials/base/',
      payload: { email: 'base@example.com', fullName: 'Changed' },
    }),
  },
  'PUT /apiops/projects/:projectName/credentials/:username/password/': {
    access: 'security.write',
    ok: 200,
    make: () => ({
      url: '/apiops/projects/P/credentials/base/password/',
      payload: { password: 'another long pw' },
    }),
  },
  'PUT /apiops/projects/:projectName/credentials/': {
    access: 'security.write',
    ok: 200,
    make: () => ({ url: '/apiops/projects/P/credentials/', payload: credentialBody('base') }),
  },
  'PATCH /apiops/projects/:projectName/credentials/:username/': {
    access: 'security.write',
    ok: 200,
    make: () => ({
      url: '/apiops/projects/P/credentials/base/',
      payload: { password: 'yet another long pw' },
    }),
  },
  'GET /apiops/projects/:projectName/credentials/:username/access/': {
    access: 'project.read',
    ok: 200,
    make: () => ({ url: '/apiops/projects/P/credentials/base/access/' }),
  },
  'PUT /apiops/projects/:projectName/credentials/:username/access/': {
    access: 'security.write',
    ok: 200,
    make: async (fx, n) => {
      await fx.adminCall('POST', '/apiops/projects/P/credentials/', credentialBody(`acc${n}`))
      return {
        url: `/apiops/projects/P/credentials/acc${n}/access/`,
        payload: { credentialAccessList: [{ name: 'base', type: 'API_PROXY' }] },
      }
    },
  },
  'DELETE /apiops/projects/:projectName/credentials/:username/access/': {
    access: 'security.write',
    ok: 200,
    make: async (fx, n) => {
      const body = { credentialAccessList: [{ name: 'G', type: 'API_PROXY_GROUP' }] }
      await fx.adminCall('POST', '/apiops/projects/P/credentials/', credentialBody(`rev${n}`))
      await fx.adminCall('PUT', `/apiops/projects/P/credentials/rev${n}/access/`, body)
      return { url: `/apiops/projects/P/credentials/rev${n}/access/`, payload: body }
    },
  },
  'DELETE /apiops/projects/:projectName/credentials/:username/': {
    access: 'security.write',
    ok: 200,
    make: async (fx, n) => {
      await fx.adminCall('POST', '/apiops/projects/P/credentials/', credentialBody(`gone${n}`))
      return { url: `/apiops/projects/P/credentials/gone${n}/` }
    },
  },

  'GET /apiops/projects/:projectName/environmentVariables/': {
    access: 'variable.read',
    ok: 200,
    make: () => ({ url: '/apiops/projects/P/environmentVariables/' }),
  },
  'GET /apiops/projects/:projectName/environmentVariables/:name/': {
    access: 'variable.read',
    ok: 200,
    make: () => ({ url: '/apiops/projects/P/environmentVariables/BASE/' }),
  },
  'POST /apiops/projects/:projectName/environmentVariables/:name/': {
    access: 'variable.write',
    ok: 200,
    make: (_fx, n) => ({
      url: `/apiops/projects/P/environmentVariables/VAR${n}/`,
      payload: variableBody(`VAR${n}`),
    }),
  },
  'PUT /apiops/projects/:projectName/environmentVariables/:name/': {
    access: 'variable.write',
    ok: 200,
    make: () => ({
      url: '/apiops/projects/P/environmentVariables/BASE/',
      payload: variableBody('BASE'),
    }),
  },
  'DELETE /apiops/projects/:projectName/environmentVariables/:name/': {
    access: 'variable.write',
    ok: 200,
    make: async (fx, n) => {
      await fx.adminCall(
        'POST',
        `/apiops/projects/P/environmentVariables/GONE${n}/`,
        variableBody(`GONE${n}`),
      )
      return { url: `/apiops/projects/P/environmentVariables/GONE${n}/` }
    },
  },

  'GET /apiops/projects/:projectName/ipGroups/': {
    access: 'ipGroup.read',
    ok: 200,
    make: () => ({ url: '/apiops/projects/P/ipGroups/' }),
  },
  'GET /apiops/projects/:projectName/ipGroups/:ipGroupName/': {
    access: 'ipGroup.read',
    ok: 200,
    make: () => ({ url: '/apiops/projects/P/ipGroups/IG/' }),
  },
  'POST /apiops/projects/:projectName/ipGroups/': {
    access: 'ipGroup.write',
    ok: 200,
    make: (_fx, n) => ({ url: '/apiops/projects/P/ipGroups/', payload: { name: `ig${n}` } }),
  },
  'PUT /apiops/projects/:projectName/ipGroups/:ipGroupName/': {
    access: 'ipGroup.write',
    ok: 200,
    make: () => ({ url: '/apiops/projects/P/ipGroups/IG/', payload: { name: 'IG' } }),
  },
  'DELETE /apiops/projects/:projectName/ipGroups/:ipGroupName/': {
    access: 'ipGroup.write',
    ok: 200,
    make: async (fx, n) => {
      await fx.adminCall('POST', '/apiops/projects/P/ipGroups/', { name: `gone${n}` })
      return { url: `/apiops/projects/P/ipGroups/gone${n}/` }
    },
  },
  'POST /apiops/projects/:projectName/ipGroups/:ipGroupName/ips/': {
    access: 'ipGroup.write',
    ok: 200,
    make: () => ({ url: '/apiops/projects/P/ipGroups/IG/ips/', payload: { ipList: ['10.0.0.1'] } }),
  },
  'PUT /apiops/projects/:projectName/ipGroups/:ipGroupName/ips/': {
    access: 'ipGroup.write',
    ok: 200,
    make: () => ({ url: '/apiops/projects/P/ipGroups/IG/ips/', payload: { ipList: ['10.0.0.2'] } }),
  },
  'DELETE /apiops/projects/:projectName/ipGroups/:ipGroupName/ips/': {
    access: 'ipGroup.write',
    ok: 200,
    make: () => ({ url: '/apiops/projects/P/ipGroups/IG/ips/', payload: { ipList: ['10.0.0.3'] } }),
  },

  'GET /apiops/projects/:projectName/rlcl/': {
    access: 'rlcl.read',
    ok: 200,
    make: () => ({ url: '/apiops/projects/P/rlcl/' }),
  },
  'GET /apiops/projects/:projectName/rlcl/:rlclName/': {
    access: 'rlcl.read',
    ok: 200,
    make: () => ({ url: '/apiops/projects/P/rlcl/RL/' }),
  },
  'POST /apiops/projects/:projectName/rlcl/': {
    access: 'rlcl.write',
    ok: 200,
    make: (_fx, n) => ({ url: '/apiops/projects/P/rlcl/', payload: { name: `rl${n}` } }),
  },
  'PUT /apiops/projects/:projectName/rlcl/:rlclName/': {
    access: 'rlcl.write',
    ok: 200,
    make: () => ({ url: '/apiops/projects/P/rlcl/RL/', payload: { name: 'RL' } }),
  },
  'DELETE /apiops/projects/:projectName/rlcl/:rlclName/': {
    access: 'rlcl.write',
    ok: 200,
    make: async (fx, n) => {
      await fx.adminCall('POST', '/apiops/projects/P/rlcl/', { name: `gone${n}` })
      return { url: `/apiops/projects/P/rlcl/gone${n}/` }
    },
  },
  'POST /apiops/projects/:projectName/rlcl/:rlclName/credentials/': {
    access: 'rlcl.write',
    ok: 200,
    make: () => ({
      url: '/apiops/projects/P/rlcl/RL/credentials/',
      payload: { credentialNameList: ['base'] },
    }),
  },
  'POST /apiops/projects/:projectName/rlcl/:rlclName/endpoints/': {
    access: 'rlcl.write',
    ok: 200,
    make: () => ({ url: '/apiops/projects/P/rlcl/RL/endpoints/', payload: rlclLimits }),
  },
  'PUT /apiops/projects/:projectName/rlcl/:rlclName/credentials/': {
    access: 'rlcl.write',
    ok: 200,
    make: () => ({
      url: '/apiops/projects/P/rlcl/RL/credentials/',
      payload: { credentialNameList: ['base'] },
    }),
  },
  'PUT /apiops/projects/:projectName/rlcl/:rlclName/endpoints/': {
    access: 'rlcl.write',
    ok: 200,
    make: () => ({ url: '/apiops/projects/P/rlcl/RL/endpoints/', payload: rlclLimits }),
  },
  'DELETE /apiops/projects/:projectName/rlcl/:rlclName/credentials/': {
    access: 'rlcl.write',
    ok: 200,
    make: () => ({
      url: '/apiops/projects/P/rlcl/RL/credentials/',
      payload: { credentialNameList: ['base'] },
    }),
  },
  'DELETE /apiops/projects/:projectName/rlcl/:rlclName/endpoints/': {
    access: 'rlcl.write',
    ok: 200,
    make: () => ({ url: '/apiops/projects/P/rlcl/RL/endpoints/', payload: rlclLimits }),
  },
  'POST /apiops/projects/:projectName/rlcl/:rlclName/condition/': {
    access: 'rlcl.write',
    ok: 200,
    make: async (fx, n) => {
      await fx.adminCall('POST', '/apiops/projects/P/rlcl/', { name: `cond${n}` })
      return {
        url: `/apiops/projects/P/rlcl/cond${n}/condition/`,
        payload: { conditionRuleList: [] },
      }
    },
  },
  'PUT /apiops/projects/:projectName/rlcl/:rlclName/condition/': {
    access: 'rlcl.write',
    ok: 200,
    make: () => ({
      url: '/apiops/projects/P/rlcl/RL/condition/',
      payload: { conditionRuleList: [] },
    }),
  },
  'DELETE /apiops/projects/:projectName/rlcl/:rlclName/condition/': {
    access: 'rlcl.write',
    ok: 200,
    make: async (fx, n) => {
      await fx.adminCall('POST', '/apiops/projects/P/rlcl/', { name: `uncond${n}` })
      await fx.adminCall('POST', `/apiops/projects/P/rlcl/uncond${n}/condition/`, {
        conditionRuleList: [],
      })
      return { url: `/apiops/projects/P/rlcl/uncond${n}/condition/` }
    },
  },

  'GET /apiops/projects/:projectName/certificates/': {
    access: 'project.read',
    ok: 200,
    make: () => ({ url: '/apiops/projects/P/certificates/' }),
  },
  'POST /apiops/projects/:projectName/certificates/': {
    access: 'security.write',
    ok: 200,
    make: (_fx, n) => ({ url: '/apiops/projects/P/certificates/', ...certificateForm(`new${n}`) }),
  },
  'GET /apiops/projects/:projectName/certificates/:name/': {
    access: 'project.read',
    ok: 200,
    make: async (fx, n) => ({
      url: `/apiops/projects/P/certificates/${await freshCertificate(fx, n)}/`,
    }),
  },
  'PUT /apiops/projects/:projectName/certificates/:name/': {
    access: 'security.write',
    ok: 200,
    make: async (fx, n) => ({
      url: `/apiops/projects/P/certificates/${await freshCertificate(fx, n)}/`,
      ...certificateForm(),
    }),
  },
  'DELETE /apiops/projects/:projectName/certificates/:name/': {
    access: 'security.write',
    ok: 200,
    make: async (fx, n) => ({
      url: `/apiops/projects/P/certificates/${await freshCertificate(fx, n)}/`,
    }),
  },

  'GET /apiops/projects/:projectName/jwks/': {
    access: 'project.read',
    ok: 200,
    make: () => ({ url: '/apiops/projects/P/jwks/' }),
  },
  'GET /apiops/projects/:projectName/jwks/:jwkName/': {
    access: 'project.read',
    ok: 200,
    make: () => ({ url: '/apiops/projects/P/jwks/J/' }),
  },
  'POST /apiops/projects/:projectName/jwks/': {
    access: 'security.write',
    ok: 200,
    make: (_fx, n) => ({
      url: '/apiops/projects/P/jwks/',
      payload: { name: `jwk${n}`, sourceType: 'COPY_PASTE', jwkStr: OCT_JWK },
    }),
  },
  'POST /apiops/projects/:projectName/jwks/generate': {
    access: 'security.write',
    ok: 200,
    make: (_fx, n) => ({
      url: '/apiops/projects/P/jwks/generate',
      payload: jwkGenerateBody(`gen${n}`),
    }),
  },
  'PUT /apiops/projects/:projectName/jwks/:jwkName/': {
    access: 'security.write',
    ok: 200,
    make: () => ({ url: '/apiops/projects/P/jwks/J/', payload: { description: 'changed' } }),
  },
  'DELETE /apiops/projects/:projectName/jwks/:jwkName/': {
    access: 'security.write',
    ok: 200,
    make: async (fx, n) => {
      await fx.adminCall('POST', '/apiops/projects/P/jwks/generate', jwkGenerateBody(`gone${n}`))
      return { url: `/apiops/projects/P/jwks/gone${n}/` }
    },
  },
  // No address is allowed here: an allowed caller gets the fetcher's one refusal.
  'POST /apiops/projects/:projectName/jwks/parse-from-url': {
    access: 'security.write',
    ok: 400,
    make: (_fx, n) => ({
      url: '/apiops/projects/P/jwks/parse-from-url',
      payload: { name: `url${n}`, url: 'http://10.0.0.1/jwks.json' },
    }),
  },
  'POST /apiops/projects/:projectName/jwks/parse-from-clipboard': {
    access: 'security.write',
    ok: 200,
    make: (_fx, n) => ({
      url: '/apiops/projects/P/jwks/parse-from-clipboard',
      payload: { name: `paste${n}`, jwkStr: OCT_JWK },
    }),
  },
  'POST /apiops/projects/:projectName/jwks/parse-from-certificate': {
    access: 'security.write',
    ok: 200,
    make: async (fx, n) => ({
      url: '/apiops/projects/P/jwks/parse-from-certificate',
      payload: { name: `cert${n}`, certificateName: await freshCertificate(fx, n), ...JWK_USE },
    }),
  },
  'POST /apiops/projects/:projectName/jwks/parse-from-key': {
    access: 'security.write',
    ok: 200,
    make: async (fx, n) => ({
      url: '/apiops/projects/P/jwks/parse-from-key',
      payload: {
        name: `key${n}`,
        keyName: await fresh(fx, 'keys', n),
        ...JWK_USE,
        algorithm: 'ES256',
      },
    }),
  },
  'POST /apiops/projects/:projectName/jwks/parse-from-keystore': {
    access: 'security.write',
    ok: 200,
    make: async (fx, n) => ({
      url: '/apiops/projects/P/jwks/parse-from-keystore',
      payload: {
        name: `ks${n}`,
        keyStoreName: await fresh(fx, 'keystores', n),
        aliasName: 'gateway',
        ...JWK_USE,
        algorithm: 'ES256',
      },
    }),
  },
  'GET /apiops/projects/:projectName/certificates/:name/export/': {
    access: 'project.read',
    ok: 200,
    make: async (fx, n) => ({
      url: `/apiops/projects/P/certificates/${await freshCertificate(fx, n)}/export/`,
    }),
  },
  'GET /apiops/projects/:projectName/certificates/truststore/:environmentName/': {
    access: 'project.read',
    ok: 200,
    make: () => ({ url: '/apiops/projects/P/certificates/truststore/E/' }),
  },

  'GET /apiops/projects/:projectName/keys/': {
    access: 'keyMaterial.read',
    ok: 200,
    make: () => ({ url: '/apiops/projects/P/keys/' }),
  },
  'GET /apiops/projects/:projectName/keys/:keyName/': {
    access: 'keyMaterial.read',
    ok: 200,
    make: async (fx, n) => ({ url: `/apiops/projects/P/keys/${await fresh(fx, 'keys', n)}/` }),
  },
  'POST /apiops/projects/:projectName/keys/': {
    access: 'keyMaterial.write',
    ok: 200,
    make: (_fx, n) => ({ url: '/apiops/projects/P/keys/', payload: keyBody(`new${n}`) }),
  },
  'PUT /apiops/projects/:projectName/keys/:keyName/': {
    access: 'keyMaterial.write',
    ok: 200,
    make: async (fx, n) => {
      const name = await fresh(fx, 'keys', n)
      return { url: `/apiops/projects/P/keys/${name}/`, payload: keyBody(name) }
    },
  },
  'DELETE /apiops/projects/:projectName/keys/:keyName/': {
    access: 'keyMaterial.write',
    ok: 200,
    make: async (fx, n) => ({ url: `/apiops/projects/P/keys/${await fresh(fx, 'keys', n)}/` }),
  },

  'GET /apiops/projects/:projectName/keystores/': {
    access: 'keyMaterial.read',
    ok: 200,
    make: () => ({ url: '/apiops/projects/P/keystores/' }),
  },
  'GET /apiops/projects/:projectName/keystores/:keystoreName/': {
    access: 'keyMaterial.read',
    ok: 200,
    make: async (fx, n) => ({
      url: `/apiops/projects/P/keystores/${await fresh(fx, 'keystores', n)}/`,
    }),
  },
  'POST /apiops/projects/:projectName/keystores/': {
    access: 'keyMaterial.write',
    ok: 200,
    make: (_fx, n) => ({ url: '/apiops/projects/P/keystores/', payload: keystoreBody(`new${n}`) }),
  },
  'PUT /apiops/projects/:projectName/keystores/:keystoreName/': {
    access: 'keyMaterial.write',
    ok: 200,
    make: async (fx, n) => {
      const name = await fresh(fx, 'keystores', n)
      return { url: `/apiops/projects/P/keystores/${name}/`, payload: keystoreBody(name) }
    },
  },
  'DELETE /apiops/projects/:projectName/keystores/:keystoreName/': {
    access: 'keyMaterial.write',
    ok: 200,
    make: async (fx, n) => ({
      url: `/apiops/projects/P/keystores/${await fresh(fx, 'keystores', n)}/`,
    }),
  },
}

/** The status a caller should get, as the policy's table decides it, and what a 403 must say. */
function expected(entry: Entry, actor: Actor): { status: number; says?: string } {
  if (actor === 'anonymous') return { status: 401 }
  if (entry.access === 'any') return { status: entry.ok }
  const rule: Rule = POLICY[entry.access]
  // Every actor here calls with a token, never a console session.
  if (rule.sessionOnly) return { status: 403, says: rule.sessionOnly().description }
  const roles = ROLES_OF[actor]
  const admin = roles.includes('ROLE_ADMIN')
  const missing = admin ? undefined : rule.roles.find((r) => !roles.includes(r))
  if (missing) return { status: 403, says: missing }
  if (!rule.inProject || admin || MEMBERS.includes(actor)) return { status: entry.ok }
  return { status: 404 }
}

describe.each(dialects())('the permission matrix (%s)', (dialect) => {
  let fx: Fixtures
  const tokens = {} as Record<Actor, string>

  beforeAll(async () => {
    // Port 9 on loopback (discard; nothing listens): a test notice fails at once, answered 200.
    const ctx = await buildTestApp(dialect, { env: { APIOPS_NOTIFICATION_ALLOWLIST: '127.0.0.1' } })
    const userId = {} as Record<Actor, string>
    for (const actor of ACTORS) {
      if (actor === 'anonymous') continue
      const user = await makeUser(ctx, actor, ROLES_OF[actor])
      userId[actor] = user.id
      tokens[actor] = (await tokenFor(ctx, user.id)).token
    }
    const adminCall = (method: string, url: string, payload?: unknown) =>
      ctx.app.inject({
        method: method as 'GET',
        url,
        headers: bearer(tokens.admin),
        ...(payload ? { payload } : {}),
      })
    fx = { ctx, admin: tokens.admin, adminCall, userId }
    await adminCall('POST', '/apiops/projects/', { name: 'P' })
    for (const member of MEMBERS)
      await adminCall('POST', '/apiops/projects/P/members/', { username: member })
    await adminCall('POST', '/apiops/environments/', {
      name: 'E',
      type: 'TEST',
      accessUrl: 'https://e',
      projects: ['P'],
    })
    await adminCall('POST', '/apiops/projects/P/apiProxies/url/', proxyBody('base'))
    await adminCall('POST', `${ENDPOINTS}/`, endpointBody('/e'))
    const soap = upload(
      {
        apiProxyName: 'soap',
        apiProxyCreationType: 'WSDL',
        clientRoute: { relativePathList: ['/soap'] },
      },
      { name: 'orders.wsdl', bytes: wsdlFixture('orders.wsdl') },
    )
    const made = await ctx.app.inject({
      method: 'POST',
      url: '/apiops/projects/P/apiProxies/file/',
      headers: { ...bearer(tokens.admin), ...soap.headers },
      payload: soap.payload,
    })
    expect(made.statusCode, made.body).toBe(200)
    await adminCall('POST', '/apiops/projects/P/apiProxyGroups/', groupBody('G'))
    await adminCall('POST', '/apiops/projects/P/apiProxyGroups/G/apiProxies/base/')
    await adminCall('POST', '/apiops/projects/P/connections/', connectionBody('base'))
    await adminCall('POST', '/apiops/projects/P/credentials/', credentialBody('base'))
    await adminCall('POST', '/apiops/projects/P/environmentVariables/BASE/', variableBody('BASE'))
    await adminCall('POST', '/apiops/projects/P/ipGroups/', { name: 'IG' })
    await adminCall('POST', '/apiops/projects/P/rlcl/', { name: 'RL' })
    await adminCall('POST', '/apiops/projects/P/rlcl/RL/condition/', { conditionRuleList: [] })
    await adminCall('POST', '/apiops/projects/P/jwks/generate', jwkGenerateBody('J'))
  })
  afterAll(() => fx.ctx.close())

  it('has an entry for every registered route', () => {
    const routes = fx.ctx.app.routeTable.filter((r) => !r.public).map((r) => `${r.method} ${r.url}`)
    const missing = routes.filter((r) => !(r in MATRIX))
    expect(missing, 'routes without a matrix entry').toEqual([])
    const stale = Object.keys(MATRIX).filter((k) => !routes.includes(k))
    expect(stale, 'matrix entries for routes that no longer exist').toEqual([])
  })

  it('declares on each route the action the policy checks before validation', () => {
    for (const route of fx.ctx.app.routeTable.filter((r) => !r.public)) {
      const entry = MATRIX[`${route.method} ${route.url}`]
      if (!entry) continue
      // Only a plain project read is left to the service's membership check alone.
      const checkedEarly = entry.access === 'project.read' ? undefined : entry.access
      expect(route.action, `${route.method} ${route.url}`).toBe(
        checkedEarly === 'any' ? undefined : checkedEarly,
      )
    }
  })

  let n = 0
  it.each(Object.keys(MATRIX))('%s', async (key) => {
    const entry = MATRIX[key] as Entry
    const method = key.split(' ')[0] as string
    for (const actor of ACTORS) {
      n += 1
      const call = await entry.make(fx, n)
      let url = call.url
      let presented = actor === 'anonymous' ? undefined : tokens[actor]
      for (const placeholder of ['/OWN/', '/SELF/', '/OWN_CANARY/']) {
        if (!url.includes(placeholder)) continue
        const owner = fx.userId[actor === 'anonymous' ? 'plain' : actor]
        const owned =
          placeholder === '/OWN_CANARY/'
            ? await canaryFor(fx.ctx, owner)
            : await tokenFor(fx.ctx, owner)
        url = url.replace(placeholder, `/${owned.id}/`)
        if (placeholder === '/SELF/' && presented) presented = owned.token
      }
      const res = await fx.ctx.app.inject({
        method: method as 'GET',
        url,
        headers: { ...(presented ? bearer(presented) : {}), ...call.headers },
        ...(call.payload ? { payload: call.payload } : {}),
      })
      const want = expected(entry, actor)
      expect(res.statusCode, `${actor}: ${method} ${url} -> ${res.body.slice(0, 300)}`).toBe(
        want.status,
      )
      if (want.says) expect(res.json().error_description).toContain(want.says)
    }
  })
})
