import { generateKeyPairSync } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AUDIT_EVENT_NAMES, type AuditEventName } from '../src/audit/events.ts'
import { type CliIo, runCli } from '../src/cli/index.ts'
import type { AuditEventRow } from '../src/db/schema.ts'
import { sendDueReminders } from '../src/identity/tokens/expiry-reminders.ts'
import { openRuntime } from '../src/runtime.ts'
import { testMmdb } from './fixtures/mmdb.ts'
import { certificateUpload } from './fixtures/multipart.ts'
import { specForm } from './fixtures/spec-upload.ts'
import {
  bearer,
  buildTestApp,
  consoleSession,
  dialects,
  form,
  makeUser,
  PASSWORD,
  type TestContext,
  testConfig,
  throwawaySchema,
  tokenFor,
} from './helpers.ts'
import { webhookSink } from './notify-sinks.ts'

/*
 * The audit catalogue (src/audit/events.ts) against what is recorded: every action of
 * the API, one after the other, and after each exactly one event, the one the
 * catalogue names for it; then the CLI's commands the same way. An action recorded
 * twice (by a service and again by the hook, or by two services) fails here.
 */

/** Recorded elsewhere than by an action of its own (see the folding tests). */
const NOT_AN_ACTION: AuditEventName[] = ['audit.folded']

const proxyBody = (name: string) => ({
  apiProxyName: name,
  apiProxyCreationType: 'REVERSE_PROXY',
  clientRoute: { relativePathList: [`/${name}`] },
  routingInfo: { routingAddressList: [{ address: 'https://backend.internal' }] },
})
const hook = { type: 'webhook', fullUrl: 'https://hooks.example.com/x?api_key=k' }

describe.each(dialects())('the audit catalogue over HTTP (%s)', (dialect) => {
  let ctx: TestContext
  let admin: string
  let seen = 0
  const covered = new Set<string>()

  beforeAll(async () => {
    // One failure locks a username out, so login.locked is one request away.
    ctx = await buildTestApp(dialect, {
      env: { APIOPS_LOGIN_MAX_FAILURES: '1', APIOPS_NOTIFICATION_ALLOWLIST: '127.0.0.1' },
    })
    const root = await makeUser(ctx, 'root', ['ROLE_ADMIN'])
    await makeUser(ctx, 'alice')
    await makeUser(ctx, 'locky')
    admin = (await tokenFor(ctx, root.id)).token
    // Its first use is an event of its own: out of the way before the steps count.
    await ctx.app.inject({ url: '/apiops/me/', headers: bearer(admin) })
    seen = (await rows()).length
  })
  afterAll(() => ctx.close())

  async function rows(): Promise<AuditEventRow[]> {
    await ctx.services.audit.flush()
    return ctx.store.db.selectFrom('audit_events').selectAll().orderBy('at').orderBy('id').execute()
  }

  type Call = { method?: string; url: string; payload?: unknown; headers?: Record<string, string> }
  const call = (c: Call) =>
    ctx.app.inject({
      method: (c.method ?? 'GET') as 'GET',
      url: c.url,
      headers: { 'user-agent': 'catalogue-test', ...(c.headers ?? bearer(admin)) },
      ...(c.payload === undefined ? {} : { payload: c.payload as string }),
    })

  /** One action: answered with `status`, and exactly one event, `name`, recorded for it. */
  async function step(name: AuditEventName, c: Call, status: number): Promise<AuditEventRow> {
    const res = await call(c)
    expect(res.statusCode, `${name}: ${res.body}`).toBe(status)
    const all = await rows()
    const fresh = all.slice(seen)
    seen = all.length
    expect(
      fresh.map((r) => r.action),
      `${c.method ?? 'GET'} ${c.url}`,
    ).toEqual([name])
    covered.add(name)
    const row = fresh[0] as AuditEventRow
    expect(row.status).toBe(status)
    // A token's use is noticed before the request is routed, away from the request.
    if (name !== 'token.usedFromNewAddress') {
      expect(row.user_agent).toBe('catalogue-test')
      expect(row.request_id).toEqual(expect.any(String))
    }
    return row
  }

  it('logins, sessions and tokens', async () => {
    const token = (username: string, password: string) => ({
      method: 'POST',
      url: '/apiops/auth/token',
      ...form({ grant_type: 'client_credentials', client_id: username, client_secret: password }),
    })
    const failed = await step('login.failed', token('locky', 'wrong password 1'), 401)
    expect(failed).toMatchObject({ actor_username: 'locky', outcome: 'failure' })
    await step('login.locked', token('locky', PASSWORD), 429)
    const ok = await step('login.succeeded', token('alice', PASSWORD), 200)
    expect(ok).toMatchObject({ actor_username: 'alice', outcome: 'success' })
    expect(ok.target).toMatch(/^channel=token_endpoint tokenId=[0-9a-f]{32}$/)

    const login = await step(
      'login.succeeded',
      {
        method: 'POST',
        url: '/apiops/session/',
        payload: { username: 'alice', password: PASSWORD },
      },
      200,
    )
    expect(login.target).toBe('channel=console')
    const session = await consoleSession(ctx, 'alice')
    seen = (await rows()).length
    const created = await step(
      'token.created',
      {
        method: 'POST',
        url: '/apiops/me/tokens/',
        headers: session.headers,
        payload: { name: 'ci', expiresAt: null },
      },
      201,
    )
    const id = /^tokenId=([0-9a-f]{32}) /.exec(created.target)?.[1]
    const rotated = await step(
      'token.rotated',
      { method: 'POST', url: `/apiops/me/tokens/${id}/rotate/`, headers: session.headers },
      201,
    )
    const newId = /newTokenId=([0-9a-f]{32})/.exec(rotated.target)?.[1]
    await step(
      'token.revoked',
      { method: 'DELETE', url: `/apiops/me/tokens/${newId}/`, headers: session.headers },
      200,
    )
    await step('token.revokedAll', { method: 'DELETE', url: '/apiops/users/alice/tokens/' }, 200)
    // A canary is planted, then presented: it answers 401 and raises the alert.
    const planted = await call({
      method: 'POST',
      url: '/apiops/me/canary-tokens/',
      payload: { name: 'decoy' },
    })
    seen = (await rows()).length - 1
    const canaryRow = (await rows())[seen] as AuditEventRow
    expect(canaryRow.action).toBe('token.canaryCreated')
    covered.add('token.canaryCreated')
    seen += 1
    await step(
      'token.canaryTriggered',
      { url: '/apiops/me/', headers: bearer(planted.json().token) },
      401,
    )
    // An already rotated token presented to rotate itself again: its chain is revoked.
    const old = await tokenFor(ctx, (await makeUser(ctx, 'reuser')).id)
    const again = {
      method: 'POST',
      url: `/apiops/me/tokens/${old.id}/rotate/`,
      headers: bearer(old.token),
    }
    await call({ ...again, payload: { graceSeconds: 60 } })
    seen = (await rows()).length
    const reused = await step('token.rotationReused', again, 409)
    expect(reused.target).toMatch(
      /^tokenId=[0-9a-f]{32} chainId=[0-9a-f]{32} owner=reuser count=2$/,
    )
    const fresh = await tokenFor(ctx, (await makeUser(ctx, 'roamer')).id)
    seen = (await rows()).length
    await step(
      'token.usedFromNewAddress',
      { url: '/apiops/me/', headers: bearer(fresh.token) },
      200,
    )
    const presented = await step(
      'token.revokedByPresenter',
      { method: 'POST', url: '/apiops/auth/revoke', ...form({ token: fresh.token }) },
      200,
    )
    expect(presented.target).toBe(`tokenId=${fresh.id} owner=roamer`)
    const before = await step(
      'token.revokedBefore',
      { method: 'POST', url: '/apiops/users/roamer/tokens/revoke-before/', payload: {} },
      200,
    )
    expect(before.target).toMatch(/^owner=roamer before=\d{4}-\d\d-\d\dT[\d:.]+Z count=0$/)
    await step(
      'password.changed',
      {
        method: 'PUT',
        url: '/apiops/me/password/',
        headers: session.headers,
        payload: {
          currentPassword: PASSWORD,
          newPassword: 'alices new password',
          revokeTokens: true,
        },
      },
      200,
    )
    await step(
      'session.ended',
      { method: 'DELETE', url: '/apiops/session/', headers: session.headers },
      200,
    )
  })

  it('users, settings, and denials and failures the hook records', async () => {
    const created = await step(
      'user.created',
      { method: 'POST', url: '/apiops/users/', payload: { username: 'carol', password: PASSWORD } },
      201,
    )
    expect(created).toMatchObject({ actor_username: 'root', target: 'username=carol roles=' })
    const roles = { roles: ['ROLE_MANAGE_PROXIES'] }
    await step(
      'user.roleGranted',
      { method: 'POST', url: '/apiops/users/carol/roles/', payload: roles },
      200,
    )
    await step(
      'user.roleRevoked',
      { method: 'DELETE', url: '/apiops/users/carol/roles/ROLE_MANAGE_PROXIES/' },
      200,
    )
    await step('user.disabled', { method: 'POST', url: '/apiops/users/carol/disable/' }, 200)
    await step('user.enabled', { method: 'POST', url: '/apiops/users/carol/enable/' }, 200)
    const emailed = await step(
      'user.emailChanged',
      { method: 'PATCH', url: '/apiops/users/carol/', payload: { email: 'carol@example.com' } },
      200,
    )
    expect(emailed.target).toBe('username=carol cleared=false')
    await step(
      'password.reset',
      {
        method: 'PUT',
        url: '/apiops/users/carol/password/',
        payload: { password: 'a new one 123' },
      },
      200,
    )
    await step(
      'settings.updated',
      { method: 'PATCH', url: '/apiops/settings/', payload: { tokenRateLimit: 50 } },
      200,
    )
    // Port 9 on loopback: nothing listens, so the test notice fails at once.
    await step(
      'settings.updated',
      {
        method: 'PATCH',
        url: '/apiops/settings/',
        payload: { notifications: { webhook: { url: 'http://127.0.0.1:9/hook' } } },
      },
      200,
    )
    const tested = await step(
      'notification.tested',
      {
        method: 'POST',
        url: '/apiops/settings/notifications/test/',
        payload: { channel: 'webhook' },
      },
      200,
    )
    expect(tested.outcome).toBe('failure')
    expect(tested.target).toMatch(/^channel=webhook delivered=false detail=not delivered to /)
    await step('user.deleted', { method: 'DELETE', url: '/apiops/users/carol/' }, 200)
    const carolToken = (await tokenFor(ctx, (await makeUser(ctx, 'dave')).id)).token
    await ctx.app.inject({ url: '/apiops/me/', headers: bearer(carolToken) })
    seen = (await rows()).length
    const denied = await step(
      'request.denied',
      {
        method: 'POST',
        url: '/apiops/projects/',
        headers: bearer(carolToken),
        payload: { name: 'x' },
      },
      403,
    )
    expect(denied).toMatchObject({
      actor_username: 'dave',
      outcome: 'denied',
      target: 'operation=createProject',
    })
    const failed = await step(
      'request.failed',
      { method: 'DELETE', url: '/apiops/projects/nope/' },
      404,
    )
    expect(failed).toMatchObject({
      outcome: 'failure',
      target: 'operation=deleteProject projectName=nope',
    })
  })

  it('projects, environments and API proxies', async () => {
    await step(
      'project.created',
      { method: 'POST', url: '/apiops/projects/', payload: { name: 'P' } },
      201,
    )
    await makeUser(ctx, 'erin')
    seen = (await rows()).length
    const members = '/apiops/projects/P/members/'
    await step(
      'project.memberAdded',
      { method: 'POST', url: members, payload: { username: 'erin' } },
      201,
    )
    await step('project.memberRemoved', { method: 'DELETE', url: `${members}erin/` }, 200)
    const env = { name: 'e1', type: 'TEST', accessUrl: 'https://e1.example.com', projects: ['P'] }
    await step(
      'environment.created',
      { method: 'POST', url: '/apiops/environments/', payload: env },
      201,
    )
    await step(
      'environment.updated',
      { method: 'PUT', url: '/apiops/environments/e1/', payload: { description: 'first' } },
      200,
    )
    const proxies = '/apiops/projects/P/apiProxies'
    await step(
      'proxy.created',
      { method: 'POST', url: `${proxies}/url/`, payload: proxyBody('px') },
      200,
    )
    await step(
      'proxy.updated',
      { method: 'PUT', url: `${proxies}/url/`, payload: proxyBody('px') },
      200,
    )
    const zipped = await call({ url: `${proxies}/px/export/` })
    seen = (await rows()).length
    await step('proxy.exported', { url: `${proxies}/px/export/` }, 200)
    const form = specForm([
      { name: 'apiProxyExportFile', value: zipped.rawPayload, filename: 'px.zip' },
    ])
    const imported = await step(
      'proxy.imported',
      {
        method: 'PUT',
        url: `${proxies}/px/import/`,
        ...form,
        headers: { ...bearer(admin), ...form.headers },
      },
      200,
    )
    expect(imported.target).toBe('project=P proxy=px overridden=true')
    const deployed = await step(
      'proxy.deployed',
      { method: 'POST', url: `${proxies}/px/environments/e1/` },
      200,
    )
    expect(deployed.target).toBe('project=P proxy=px environments=e1')
    await step('proxy.undeployed', { method: 'DELETE', url: `${proxies}/px/environments/e1/` }, 200)
    await step('proxy.deleted', { method: 'DELETE', url: `${proxies}/px/` }, 200)
    const vars = '/apiops/projects/P/environmentVariables'
    const variable = { name: 'V', global: true, globalValue: 'one' }
    await step('variable.created', { method: 'POST', url: `${vars}/V/`, payload: variable }, 200)
    const renamed = await step(
      'variable.updated',
      { method: 'PUT', url: `${vars}/V/`, payload: { ...variable, name: 'W' } },
      200,
    )
    expect(renamed.target).toBe('project=P variable=W previousName=V')
    await step('variable.deleted', { method: 'DELETE', url: `${vars}/W/` }, 200)
    await step('environment.deleted', { method: 'DELETE', url: '/apiops/environments/e1/' }, 200)
  })

  it('API proxy groups and proxy settings', async () => {
    const proxies = '/apiops/projects/P/apiProxies'
    const env = { name: 'e2', type: 'TEST', accessUrl: 'https://e2.example.com', projects: ['P'] }
    for (const setup of [
      { method: 'POST', url: '/apiops/environments/', payload: env },
      { method: 'POST', url: `${proxies}/url/`, payload: proxyBody('g1') },
    ])
      expect((await call(setup)).statusCode).toBeLessThan(300)
    seen = (await rows()).length
    const groups = '/apiops/projects/P/apiProxyGroups'
    const group = { name: 'G', clientRoute: { relativePathList: ['/g'] } }
    const created = await step(
      'proxyGroup.created',
      { method: 'POST', url: `${groups}/`, payload: group },
      200,
    )
    expect(created.target).toBe('project=P group=G')
    const described = { ...group, description: 'second' }
    await step('proxyGroup.updated', { method: 'PUT', url: `${groups}/`, payload: described }, 200)
    const member = `${groups}/G/apiProxies/g1/`
    await step('proxyGroup.memberAdded', { method: 'POST', url: member }, 200)
    const at = `${groups}/G/environments/e2/`
    const deployed = await step('proxyGroup.deployed', { method: 'POST', url: at }, 200)
    expect(deployed.target).toBe('project=P group=G environment=e2 proxies=g1')
    await step('proxyGroup.undeployed', { method: 'DELETE', url: at }, 200)
    await step('proxyGroup.memberRemoved', { method: 'DELETE', url: member }, 200)
    await step('proxyGroup.deleted', { method: 'DELETE', url: `${groups}/G/` }, 200)

    const settings = `${proxies}/g1/settings`
    const cors = await step(
      'proxy.settingChanged',
      { method: 'PATCH', url: `${settings}/cors/`, payload: { name: 'c', corsActive: true } },
      200,
    )
    expect(cors.target).toBe('project=P proxy=g1 setting=cors')
    const secret = 'sk-audit-never-this-0001'
    const keys = { publicKey: 'pk-audit-0001', secretKey: secret }
    const sealed = await step(
      'proxy.settingChanged',
      { method: 'PATCH', url: `${settings}/keys/`, payload: keys },
      200,
    )
    expect(sealed.target).toBe('project=P proxy=g1 setting=keys')
    const ntlm = { enabled: true, domain: 'd', username: 'u', password: 'ntlm-secret-0002' }
    await step(
      'proxy.settingChanged',
      { method: 'PATCH', url: `${settings}/ntlm/`, payload: ntlm },
      200,
    )
    await step(
      'proxy.settingChanged',
      { method: 'PATCH', url: `${settings}/hide-spec-file/true/` },
      200,
    )
    const endpoints = `${proxies}/g1/endpoints`
    const endpoint = {
      name: '/e',
      httpMethod: 'GET',
      backendResourceUrl: '/e',
      backendHttpMethod: 'GET',
    }
    const made = await step(
      'proxy.endpointCreated',
      { method: 'POST', url: `${endpoints}/`, payload: endpoint },
      200,
    )
    expect(made.target).toBe('project=P proxy=g1 method=GET endpoint=/e')
    const off = { identifierName: '/e', identifierHttpMethod: 'GET', active: false }
    const status = await step(
      'proxy.endpointChanged',
      { method: 'PATCH', url: `${endpoints}/status/`, payload: off },
      200,
    )
    expect(status.target).toBe('project=P proxy=g1 method=GET endpoint=/e change=status')
    await step(
      'proxy.endpointDeleted',
      { method: 'POST', url: `${endpoints}/delete/`, payload: { name: '/e', httpMethod: 'GET' } },
      200,
    )
    const renamed = await step(
      'proxy.settingChanged',
      { method: 'PATCH', url: `${settings}/metadata/`, payload: { name: 'g2' } },
      200,
    )
    expect(renamed.target).toBe('project=P proxy=g2 setting=metadata previousName=g1')
    const text = JSON.stringify(await rows())
    for (const value of [secret, 'ntlm-secret-0002', 'pk-audit-0001'])
      expect(text).not.toContain(value)
    expect((await call({ method: 'DELETE', url: `${proxies}/g2/` })).statusCode).toBe(200)
    expect((await call({ method: 'DELETE', url: '/apiops/environments/e2/' })).statusCode).toBe(200)
    seen = (await rows()).length
  })

  it('connections, credentials and certificates', async () => {
    // An earlier step set the per-token rate to 50 a minute: a fresh window for these.
    ctx.clock.advance(130_000)
    const base = '/apiops/projects/P'
    const c = `${base}/connections`
    await step(
      'connection.created',
      { method: 'POST', url: `${c}/`, payload: { name: 'c1', ...hook } },
      201,
    )
    await step('connection.replaced', { method: 'PUT', url: `${c}/c1/`, payload: hook }, 200)
    const revealed = await step('connection.secretsRevealed', { url: `${c}/c1/secrets/` }, 200)
    expect(revealed.target).toBe('project=P connection=c1 fields=fullUrl?api_key')
    await step('connection.deleted', { method: 'DELETE', url: `${c}/c1/` }, 200)
    const cr = `${base}/credentials`
    const fields = { email: 'k@example.com', fullName: 'K' }
    await step(
      'credential.created',
      {
        method: 'POST',
        url: `${cr}/`,
        payload: { username: 'k', password: 'long enough pw', ...fields },
      },
      200,
    )
    await step('credential.updated', { method: 'PUT', url: `${cr}/k/`, payload: fields }, 200)
    await step(
      'credential.passwordChanged',
      { method: 'PUT', url: `${cr}/k/password/`, payload: { password: 'another long pw' } },
      200,
    )
    await call({
      method: 'POST',
      url: `${base}/apiProxies/url/`,
      payload: {
        apiProxyName: 'granted',
        apiProxyCreationType: 'REVERSE_PROXY',
        routingInfo: { routingAddressList: [{ address: 'https://backend.example.com' }] },
      },
    })
    seen = (await rows()).length
    const access = { credentialAccessList: [{ name: 'granted', type: 'API_PROXY' }] }
    const granted = await step(
      'credential.accessGranted',
      { method: 'PUT', url: `${cr}/k/access/`, payload: access },
      200,
    )
    expect(granted.target).toBe("project=P credential=k targets=API proxy 'granted'")
    await step(
      'credential.accessRevoked',
      { method: 'DELETE', url: `${cr}/k/access/`, payload: access },
      200,
    )
    await step('credential.deleted', { method: 'DELETE', url: `${cr}/k/` }, 200)
    const ig = `${base}/ipGroups`
    await step('ipGroup.created', { method: 'POST', url: `${ig}/`, payload: { name: 'g' } }, 200)
    await step('ipGroup.updated', { method: 'PUT', url: `${ig}/g/`, payload: { name: 'g' } }, 200)
    const changed = await step(
      'ipGroup.entriesChanged',
      { method: 'PUT', url: `${ig}/g/ips/`, payload: { ipList: ['10.0.0.0/8', '::1'] } },
      200,
    )
    expect(changed.target).toBe('project=P ipGroup=g change=replace added=2 removed=0')
    await step('ipGroup.deleted', { method: 'DELETE', url: `${ig}/g/` }, 200)
    const pol = `${base}/apiProxies/granted/policies/deny/`
    const where = { targetScope: 'ALL', targetPipeline: 'REQUEST', deploy: false }
    const deny = { type: 'policy-black-ip', ipList: ['10.0.0.0/8'] }
    const added = await step(
      'policy.added',
      { method: 'POST', url: pol, payload: { operationMetadata: where, policy: deny } },
      200,
    )
    expect(added.target).toBe('project=P proxy=granted policy=deny type=policy-black-ip scope=ALL')
    await step(
      'policy.updated',
      {
        method: 'PUT',
        url: pol,
        payload: { operationMetadata: where, policy: { ...deny, active: false } },
      },
      200,
    )
    await step(
      'policy.deleted',
      { method: 'DELETE', url: pol, payload: { operationMetadata: where } },
      200,
    )
    const rl = `${base}/rlcl`
    await step('rlcl.created', { method: 'POST', url: `${rl}/`, payload: { name: 'r' } }, 200)
    await step('rlcl.updated', { method: 'PUT', url: `${rl}/r/`, payload: { name: 'r' } }, 200)
    const cond = { conditionRuleList: [] }
    await step(
      'rlcl.conditionChanged',
      { method: 'POST', url: `${rl}/r/condition/`, payload: cond },
      200,
    )
    const limits = {
      endpointRateLimitList: [
        {
          apiProxyName: 'granted',
          permittedMessageCount: 5,
          timeIntervalPeriodLength: 1,
          timeInterval: 'ONE_SECOND',
          cacheConnectionTimeoutInSeconds: 3,
          cacheErrorHandlingType: 'FAIL',
          timeIntervalWindowType: 'FIXED',
        },
      ],
    }
    const changed2 = await step(
      'rlcl.membersChanged',
      { method: 'POST', url: `${rl}/r/endpoints/`, payload: limits },
      200,
    )
    expect(changed2.target).toBe('project=P rlcl=r members=endpoints change=add')
    await step('rlcl.deleted', { method: 'DELETE', url: `${rl}/r/` }, 200)
    // An earlier step set the per-token rate to 50 a minute: two minutes on, so the rest are not refused.
    ctx.clock.advance(130_000)
    const mmdb = specForm([{ name: 'file', value: testMmdb(), filename: 'geo.mmdb' }])
    await step(
      'geolocation.databaseUploaded',
      {
        method: 'PUT',
        url: '/apiops/settings/geolocation/mmdb',
        payload: mmdb.payload,
        headers: { ...bearer(admin), ...mmdb.headers },
      },
      200,
    )
    await step(
      'geolocation.enabled',
      { method: 'PUT', url: '/apiops/settings/geolocation/enable' },
      200,
    )
    await step(
      'geolocation.disabled',
      { method: 'PUT', url: '/apiops/settings/geolocation/disable' },
      200,
    )
    const upload = (name?: string) => {
      const u = certificateUpload(name)
      return { payload: u.payload, headers: { ...bearer(admin), ...u.headers } }
    }
    const certs = `${base}/certificates`
    await step('certificate.created', { method: 'POST', url: `${certs}/`, ...upload('cert') }, 200)
    await step('certificate.replaced', { method: 'PUT', url: `${certs}/cert/`, ...upload() }, 200)
    await step('certificate.deleted', { method: 'DELETE', url: `${certs}/cert/` }, 200)
    const jwks = `${base}/jwks`
    const made = await step(
      'jwk.created',
      {
        method: 'POST',
        url: `${jwks}/generate`,
        payload: { name: 'j', type: 'OKP', okp: { curveType: 'ED25519' } },
      },
      200,
    )
    expect(made.target).toBe('project=P jwk=j sourceType=GENERATE')
    await step('jwk.updated', { method: 'PUT', url: `${jwks}/j/`, payload: { name: 'j2' } }, 200)
    await step('jwk.deleted', { method: 'DELETE', url: `${jwks}/j2/` }, 200)
    await keysAndKeystores(base)
    await step('project.deleted', { method: 'DELETE', url: '/apiops/projects/P/' }, 200)
  })

  /** Keys and keystores live in environments: one for them, then each of their events. */
  async function keysAndKeystores(base: string): Promise<void> {
    const env = { name: 'k1', type: 'TEST', accessUrl: 'https://k1.example.com', projects: ['P'] }
    await step(
      'environment.created',
      { method: 'POST', url: '/apiops/environments/', payload: env },
      201,
    )
    const publicKey = generateKeyPairSync('ec', { namedCurve: 'P-256' })
      .publicKey.export({ type: 'spki', format: 'pem' })
      .toString()
    const key = {
      name: 'k',
      keyType: 'EC',
      cryptoKeyInfoEnvironmentList: [{ environmentName: 'k1', publicKey }],
    }
    await step('key.created', { method: 'POST', url: `${base}/keys/`, payload: key }, 200)
    await step('key.updated', { method: 'PUT', url: `${base}/keys/k/`, payload: key }, 200)
    // A JWK made from the key, refreshed when the key is updated with updateReferencedJwks.
    const fromKey = { name: 'fk', keyName: 'k', environmentName: 'k1', useType: 'SIGNATURE' }
    const jwk = { ...fromKey, algorithm: 'ES256' }
    await step(
      'jwk.created',
      { method: 'POST', url: `${base}/jwks/parse-from-key`, payload: jwk },
      200,
    )
    const refresh = `${base}/keys/k/?updateReferencedJwks=true&updateScope=SAME_PROJECT`
    expect((await call({ method: 'PUT', url: refresh, payload: key })).statusCode).toBe(200)
    const both = (await rows()).slice(seen)
    seen += both.length
    expect(both.map((r) => r.action).sort()).toEqual(['jwk.refreshed', 'key.updated'])
    covered.add('jwk.refreshed')
    await step('jwk.deleted', { method: 'DELETE', url: `${base}/jwks/fk/` }, 200)
    await step('key.deleted', { method: 'DELETE', url: `${base}/keys/k/` }, 200)
    const file = readFileSync(new URL('./fixtures/keystore.jks', import.meta.url)).toString(
      'base64',
    )
    const store = {
      name: 's',
      keyStoreEnvironmentList: [{ environmentName: 'k1', type: 'JKS', file, password: 'changeit' }],
    }
    await step(
      'keystore.created',
      { method: 'POST', url: `${base}/keystores/`, payload: store },
      200,
    )
    await step(
      'keystore.updated',
      { method: 'PUT', url: `${base}/keystores/s/`, payload: store },
      200,
    )
    await step('keystore.deleted', { method: 'DELETE', url: `${base}/keystores/s/` }, 200)
  }

  it('a token unused past the inactivity limit an administrator sets', async () => {
    const idle = await tokenFor(ctx, (await makeUser(ctx, 'idler')).id)
    ctx.clock.advance(3 * 86_400_000)
    seen = (await rows()).length
    const set = await call({
      method: 'PATCH',
      url: '/apiops/settings/',
      payload: { tokenLifetimePolicy: { inactivityDays: 2 } },
    })
    expect(set.statusCode, set.body).toBe(200)
    const fresh = (await rows()).slice(seen)
    seen += fresh.length
    expect(fresh[0]?.action).toBe('settings.updated')
    const idled = fresh.find((r) => r.target.startsWith(`tokenId=${idle.id} `))
    expect(idled).toMatchObject({ action: 'token.revokedInactive', actor_username: 'root' })
    expect(idled?.target).toBe(`tokenId=${idle.id} owner=idler inactivityDays=2 lastUsedAt=never`)
    covered.add('token.revokedInactive')
  })

  it('the reminders a round sends, and a channel that fails', async () => {
    const sink = await webhookSink()
    try {
      const set = await call({
        method: 'PATCH',
        url: '/apiops/settings/',
        payload: { notifications: { webhook: { url: sink.url } } },
      })
      expect(set.statusCode, set.body).toBe(200)
      const owner = await makeUser(ctx, 'reminded')
      const soon = new Date(ctx.clock.nowMs() + 2 * 86_400_000)
      const a = await tokenFor(ctx, owner.id, { expiresAt: soon })
      ctx.clock.advance(86_400_000 + 60_000)
      seen = (await rows()).length
      await sendDueReminders(ctx.services, { holder: 'catalogue', ttlMs: 60_000 })
      // Tokens of earlier steps may be reminded too: only this one's events are judged.
      const sent = (await rows()).slice(seen).filter((r) => r.target.includes(a.id))
      expect(sent.map((r) => r.action)).toEqual(['token.reminderSent'])
      expect(sent[0]?.target).toBe(`tokenId=${a.id} owner=reminded threshold=1d channels=webhook`)
      covered.add('token.reminderSent')
      sink.state.status = 503
      const b = await tokenFor(ctx, owner.id, {
        expiresAt: new Date(ctx.clock.nowMs() + 2 * 86_400_000),
      })
      ctx.clock.advance(86_400_000 + 60_000)
      seen = (await rows()).length
      await sendDueReminders(ctx.services, { holder: 'catalogue', ttlMs: 60_000 })
      const failed = (await rows()).slice(seen).filter((r) => r.target.includes(b.id))
      expect(failed.map((r) => r.action)).toEqual(['notification.failed'])
      expect(failed[0]).toMatchObject({ outcome: 'failure' })
      expect(failed[0]?.target).toContain(`event=token.expiring tokenId=${b.id} channel=webhook`)
      covered.add('notification.failed')
      seen = (await rows()).length
    } finally {
      await sink.close()
    }
  })

  it('covers every event of the catalogue but those only the CLI or the recorder make', () => {
    const expected = AUDIT_EVENT_NAMES.filter(
      (name) => name !== 'cli.failed' && !NOT_AN_ACTION.includes(name),
    )
    expect([...covered].sort()).toEqual([...expected].sort())
  })
})

describe.each(dialects())('the audit catalogue from the CLI (%s)', (dialect) => {
  let dir: string
  let schema: Awaited<ReturnType<typeof throwawaySchema>> | undefined
  let config: ReturnType<typeof testConfig>
  let seen = 0

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'apiops-audit-catalogue-'))
    const env: Record<string, string> = { APIOPS_DATA_DIR: dir }
    if (dialect === 'postgres') {
      schema = await throwawaySchema('auditcat')
      env.DATABASE_URL = schema.url
    }
    config = testConfig(env)
  })
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true })
    await schema?.drop()
  })

  async function rows(): Promise<AuditEventRow[]> {
    const runtime = await openRuntime(config, { warn: () => {}, info: () => {} })
    try {
      return await runtime.store.db
        .selectFrom('audit_events')
        .selectAll()
        .orderBy('at')
        .orderBy('id')
        .execute()
    } finally {
      await runtime.close()
    }
  }

  /** One command: its exit code, and exactly the events named, recorded as actor "cli". */
  async function command(args: string[], expected: AuditEventName[], code = 0, stdin = '') {
    let out = ''
    const io: CliIo = { out: (t) => (out += t), err: () => {}, readStdin: async () => stdin }
    expect(await runCli(['--json', ...args], () => config, io), args.join(' ')).toBe(code)
    const all = await rows()
    const fresh = all.slice(seen)
    seen = all.length
    expect(
      fresh.map((r) => r.action),
      args.join(' '),
    ).toEqual(expected)
    for (const row of fresh) {
      expect(row).toMatchObject({ actor_username: 'cli', client_ip: 'local', request_id: null })
      expect(row.user_agent).toMatch(/^apiops-cli/)
    }
    return { out, rows: fresh }
  }

  it('records each command that changes something once, by its event, and nothing for lists', async () => {
    await command(
      ['user', 'create', 'fay', '--password-stdin'],
      ['user.created'],
      0,
      'fays password 1\n',
    )
    await command(['user', 'list'], [])
    await command(['user', 'grant', 'fay', 'ROLE_MANAGE_PROXIES'], ['user.roleGranted'])
    await command(['user', 'revoke', 'fay', 'ROLE_MANAGE_PROXIES'], ['user.roleRevoked'])
    await command(['user', 'disable', 'fay'], ['user.disabled'])
    await command(['user', 'enable', 'fay'], ['user.enabled'])
    await command(
      ['user', 'set-password', 'fay', '--password-stdin'],
      ['password.reset'],
      0,
      'fays password 2\n',
    )
    const { out } = await command(
      ['token', 'create', 'fay', '--name', 'deploy', '--never-expires'],
      ['token.created'],
    )
    const tokenId = (JSON.parse(out) as { id: string }).id
    await command(['token', 'list', 'fay'], [])
    await command(['token', 'revoke', 'fay', tokenId], ['token.revoked'])
    await command(['token', 'revoke-all', 'fay'], ['token.revokedAll'])
    await command(['token', 'revoke-before', '--user', 'fay'], ['token.revokedBefore'])
    await command(['project', 'create', 'Q'], ['project.created'])
    await command(['project', 'add-member', 'Q', 'fay'], ['project.memberAdded'])
    await command(['project', 'remove-member', 'Q', 'fay'], ['project.memberRemoved'])
    await command(['env-var', 'set', 'Q', 'V', '--value', 'one'], ['variable.created'])
    await command(['env-var', 'set', 'Q', 'V', '--value', 'two'], ['variable.updated'])
    await command(['env-var', 'delete', 'Q', 'V'], ['variable.deleted'])
    await command(['project', 'delete', 'Q'], ['project.deleted'])
    await command(['user', 'delete', 'fay'], ['user.deleted'])
    const failed = await command(['user', 'grant', 'nobody', 'ROLE_ADMIN'], ['cli.failed'], 1)
    expect(failed.rows[0]).toMatchObject({
      target: 'command=user.grant args=nobody ROLE_ADMIN',
      outcome: 'failure',
      status: 404,
    })
    expect(JSON.stringify(await rows())).not.toContain('fays password')
  })
})

describe('the catalogue module', () => {
  const read = (name: string) =>
    readFileSync(new URL(`../src/audit/${name}`, import.meta.url), 'utf8')

  it('imports only its own parts, which import nothing, so the console bundles no server code', () => {
    const imports = [...read('events.ts').matchAll(/^\s*import\s[^;]*?from\s+'([^']+)'/gm)]
    expect(imports.map((m) => m[1])).toEqual(['./events.resources.ts', './events.security.ts'])
    expect(read('events.ts').match(/^\s*import\s|\bimport\(/gm)).toHaveLength(2)
    for (const name of ['events.ts', 'events.resources.ts', 'events.security.ts'])
      expect(read(name), name).not.toMatch(/\brequire\(/)
    for (const part of ['events.resources.ts', 'events.security.ts'])
      expect(read(part), part).not.toMatch(/^\s*import\s/m)
  })
})
