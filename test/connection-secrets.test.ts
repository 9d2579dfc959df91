import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../src/app.ts'
import { errors } from '../src/errors.ts'
import { MASK } from '../src/sealed.ts'
import {
  buildSecurityWorld,
  openedSecrets,
  type SecurityWorld,
  storedConnection,
} from './fixtures/security-objects.ts'
import { dialects } from './helpers.ts'

/*
 * Stored secrets follow their target: a secret sent back masked (or a top-level secret
 * field left out) is kept only while the connection still points where it did. And a
 * webhook's header and query values are secrets: sealed at rest, masked for every
 * reader, revealed only on an explicit, audited request by a holder of ROLE_API_SECURITY.
 */

const URL = '/apiops/projects/Payments/connections/'
const OLD = 'Stored-Secret-5e1f'
const NEW = 'Fresh-Secret-9a2c'

type Fields = Record<string, unknown>
interface Target {
  type: string
  fields: Fields
  /** The fields that hold `value` as the secret (undefined: left out). */
  secret: (value: string | null | undefined) => Fields
  /** Where the secret is reported, and its key in the sealed store. */
  field: string
  key: string
  moved: Fields
  target: string
  /** Another spelling of the same target, with other fields changed. */
  same: Fields
  /** A top-level secret field left out is kept; a map entry left out is gone. */
  keptWhenOmitted: boolean
  /** false: the type requires the secret (LDAP binds with it), so it cannot be removed. */
  removable?: false
}

const password = (value: string | null | undefined) =>
  value === undefined ? {} : { password: value }

const TARGETS: Target[] = [
  {
    type: 'database',
    fields: {
      dbType: 'POSTGRES',
      jdbcUrl: 'jdbc:postgresql://db.internal:5432/orders',
      username: 'app',
    },
    secret: password,
    field: 'password',
    key: 'password',
    moved: { jdbcUrl: 'jdbc:postgresql://db.attacker.example:5432/orders' },
    target: 'jdbcUrl',
    same: { maxPoolSize: 9, databaseName: 'orders' },
    keptWhenOmitted: true,
  },
  {
    type: 'ldap',
    fields: {
      serverAddress: 'ldaps://ldap.example.com:636',
      username: 'cn=gw,dc=example,dc=com',
      baseDn: 'dc=example,dc=com',
    },
    secret: password,
    field: 'password',
    key: 'password',
    moved: { serverAddress: 'ldaps://ldap.attacker.example:636' },
    target: 'serverAddress',
    // The same server, written another way; the base DN is not where the password goes.
    same: { serverAddress: 'ldaps://LDAP.example.com', baseDn: 'ou=people,dc=example,dc=com' },
    keptWhenOmitted: true,
    removable: false,
  },
  ...[
    [
      { host: 'smtp.attacker.example' },
      'host',
      { host: 'SMTP.example.com', enableStartTls: false },
    ],
    [{ port: 2525 }, 'port', { from: 'c@example.com' }],
  ].map(
    ([moved, target, same]): Target => ({
      type: 'email',
      fields: { host: 'smtp.example.com', port: 465, username: 'mailer', from: 'a@example.com' },
      secret: password,
      field: 'password',
      key: 'password',
      moved: moved as Fields,
      target: target as string,
      same: same as Fields,
      keptWhenOmitted: true,
    }),
  ),
  {
    type: 'kafka',
    fields: { bootstrapServers: 'k1.internal:9092,k2.internal:9092', topicName: 'events' },
    secret: (value) =>
      typeof value === 'string'
        ? { propertiesMap: { 'sasl.jaas.config': { value, valueType: 'STRING' } } }
        : {},
    field: 'propertiesMap.sasl.jaas.config.value',
    key: 'propertiesMap.sasl.jaas.config',
    moved: { bootstrapServers: 'k1.internal:9092,k2.attacker.example:9092' },
    target: 'servers',
    same: { bootstrapServers: 'k2.internal:9092,k1.internal:9092', topicName: 'other' },
    keptWhenOmitted: false,
  },
  {
    type: 'elasticsearch',
    fields: {
      elasticHostList: [{ scheme: 'https', host: 'es.internal', port: 9200 }],
      indexName: 'logs',
      elasticUsername: 'gw',
    },
    secret: (value) => (value === undefined ? {} : { elasticPassword: value }),
    field: 'elasticPassword',
    key: 'elasticPassword',
    moved: { elasticHostList: [{ scheme: 'https', host: 'es.attacker.example', port: 9200 }] },
    target: 'elasticHostList',
    same: { elasticHostList: [{ scheme: 'https', host: 'ES.internal' }], indexName: 'other-logs' },
    keptWhenOmitted: true,
  },
]

const HOOK_URL =
  'https://hooks.example.com/in/apiops?api_key=Q-Secret-1&team=Q-Secret-2&flag&empty='
const HOOK_HEADERS = [
  { name: 'X-Api-Key', value: 'H-Secret-1' },
  { name: 'Authorization', value: 'Bearer H-Secret-2' },
  { name: 'X-Trace', value: '' },
]
const MASKED_URL = `https://hooks.example.com/in/apiops?api_key=${MASK}&team=${MASK}&flag&empty=`
const MASKED_HEADERS = HOOK_HEADERS.map((h) => ({ ...h, value: h.value === '' ? '' : MASK }))
const HOOK_SECRETS = ['Q-Secret-1', 'Q-Secret-2', 'H-Secret-1', 'H-Secret-2']
const LEGACY_SECRETS = ['L-Secret-1', 'L-Secret-2', 'L-Secret-3']

const webhook = (name: string, fullUrl: string, headerList: object[]) => ({
  name,
  type: 'webhook',
  fullUrl,
  httpMethod: 'POST',
  headerList,
})

describe.each(dialects())('stored secrets follow their target (%s)', (dialect) => {
  let w: SecurityWorld

  beforeAll(async () => {
    w = await buildSecurityWorld(dialect)
  })
  afterAll(() => w.ctx.close())

  const row = (name: string) => storedConnection(w, name)
  const values = async (name: string): Promise<Record<string, string>> =>
    ((await openedSecrets(w, name)) as { values: Record<string, string> }).values
  const put = (name: string, type: string, fields: object, token = w.security) =>
    w.call('PUT', `${URL}${name}/`, token, { type, ...fields })
  const reveal = (name: string, token = w.security) =>
    w.call('GET', `${URL}${name}/secrets/`, token)
  const read = async (name: string) =>
    (await w.call('GET', `${URL}${name}/`, w.security)).json().resultList[0]
  const audit = async (action: string) =>
    (await w.call('GET', `/apiops/audit/?action=${action}`, w.admin)).json().resultList as {
      actor: string
      action: string
      target: string
      outcome: string
      status: number
    }[]

  it.each(TARGETS.map((t, i) => [`${t.type} (${t.target})`, i] as const))(
    '%s: a moved target takes the secret only when it is sent again',
    async (_, i) => {
      const t = TARGETS[i] as Target
      const name = `target-${i}`
      const body = (fields: Fields, secret: string | null | undefined) => ({
        ...t.fields,
        ...fields,
        ...t.secret(secret),
      })
      const created = await w.call('POST', URL, w.security, {
        name,
        type: t.type,
        ...body({}, OLD),
      })
      expect(created.statusCode, created.body).toBe(201)
      const before = await row(name)
      for (const sent of t.keptWhenOmitted ? [MASK, undefined] : [MASK]) {
        const res = await put(name, t.type, body(t.moved, sent))
        expect(res.statusCode, res.body).toBe(400)
        expect(res.json().error).toBe('validation_failed')
        expect(res.json().validation_errors).toEqual([
          {
            field: t.field,
            message: `is kept from before, but the target changed (${t.target}): send it again; a stored secret is never sent to a new target`,
          },
        ])
      }
      expect(await row(name)).toEqual(before)

      // The same target (another spelling, other fields changed) keeps it, as before.
      const kept = await put(name, t.type, body(t.same, MASK))
      expect(kept.statusCode, kept.body).toBe(200)
      expect(kept.json().connection).toMatchObject({ ...t.same, ...t.secret(MASK) })
      expect((await values(name))[t.key]).toBe(OLD)

      const fresh = await put(name, t.type, body(t.moved, NEW))
      expect(fresh.statusCode, fresh.body).toBe(200)
      expect(fresh.json().connection).toMatchObject({ ...t.moved, ...t.secret(MASK) })
      expect((await values(name))[t.key]).toBe(NEW)
      expect((await row(name)).secret).not.toContain(NEW)

      const removed = await put(name, t.type, body({}, null))
      if (t.removable === false) {
        expect(removed.statusCode).toBe(400)
        expect(removed.json().validation_errors[0].field).toBe(t.field)
        return
      }
      // With no secret stored there is nothing to keep: the target may move freely.
      expect(removed.statusCode, removed.body).toBe(200)
      expect((await row(name)).secret).toBeNull()
      expect((await put(name, t.type, body(t.moved, undefined))).statusCode).toBe(200)
      await put(name, t.type, body(t.moved, NEW))
    },
  )

  it('seals every webhook header value and query value, and masks them for every reader', async () => {
    const created = await w.call('POST', URL, w.security, webhook('hook', HOOK_URL, HOOK_HEADERS))
    expect(created.statusCode, created.body).toBe(201)
    const masked = { fullUrl: MASKED_URL, httpMethod: 'POST', headerList: MASKED_HEADERS }
    expect(created.json().connection).toMatchObject(masked)
    const r = await row('hook')
    expect(JSON.parse(r.settings)).toEqual({ deployToWorker: true, ...masked })
    expect(r.secret?.startsWith('v1.')).toBe(true)
    for (const secret of HOOK_SECRETS) {
      expect(r.settings).not.toContain(secret)
      expect(r.secret).not.toContain(secret)
    }
    expect(await values('hook')).toEqual({
      'headerList:x-api-key#0': 'H-Secret-1',
      'headerList:authorization#0': 'Bearer H-Secret-2',
      'fullUrl?api_key#0': 'Q-Secret-1',
      'fullUrl?team#0': 'Q-Secret-2',
    })
    for (const reader of [w.security, w.admin]) {
      const one = await w.call('GET', `${URL}hook/`, reader)
      expect(one.json().resultList[0]).toMatchObject(masked)
      const list = await w.call('GET', `${URL}?type=webhook`, reader)
      expect(list.json().resultList.find((c: { name: string }) => c.name === 'hook')).toMatchObject(
        masked,
      )
    }
  })

  it('reveals the stored values only on explicit request by a holder of the role, and audits it', async () => {
    const res = await reveal('hook')
    expect(res.statusCode, res.body).toBe(200)
    expect(res.headers['cache-control']).toBe('no-store')
    expect(res.json()).toMatchObject({
      name: 'hook',
      type: 'webhook',
      fullUrl: HOOK_URL,
      headerList: HOOK_HEADERS,
    })
    expect((await reveal('hook', w.admin)).statusCode).toBe(200)
    const events = await audit('connection.secretsRevealed')
    expect(events.map((e) => [e.actor, e.outcome, e.status, e.target])).toEqual([
      ['root', 'success', 200, expect.stringMatching(/^project=Payments connection=hook /)],
      [
        'sec',
        'success',
        200,
        'project=Payments connection=hook fields=headerList.X-Api-Key,headerList.Authorization,fullUrl?api_key,fullUrl?team',
      ],
    ])
    for (const secret of HOOK_SECRETS) expect(JSON.stringify(events)).not.toContain(secret)
  })

  it('refuses a reveal without ROLE_API_SECURITY (403, audited), outside the project, or of a password', async () => {
    const denied = await reveal('hook', w.developer)
    expect(denied.statusCode).toBe(403)
    expect(denied.json()).toEqual(errors.missingRole('ROLE_API_SECURITY').toJSON())
    expect(
      (await audit('request.denied')).filter((e) =>
        e.target.startsWith('operation=revealConnectionSecrets '),
      ),
    ).toEqual([expect.objectContaining({ actor: 'dev', status: 403, outcome: 'denied' })])
    const outsider = await reveal('hook', w.outsider)
    expect(outsider.statusCode).toBe(404)
    expect(outsider.json()).toEqual(errors.notFound("Project 'Payments'").toJSON())
    const password = await reveal('target-0')
    expect(password.statusCode).toBe(404)
    expect(password.json()).toEqual(
      errors.nothingToReveal("Connection 'target-0' in project 'Payments'", 'database').toJSON(),
    )
    expect(password.body).not.toContain(NEW)
  })

  it('keeps masked webhook values while the URL target stays, and refuses them when it moves', async () => {
    const same = await put('hook', 'webhook', {
      fullUrl: `${MASKED_URL}&page=2`,
      httpMethod: 'PUT',
      // Header names compare ignoring case, as in HTTP.
      headerList: [
        { name: 'x-api-key', value: MASK },
        { name: 'Authorization', value: MASK },
        { name: 'X-Trace', value: '' },
        { name: 'X-New', value: 'N-1' },
      ],
    })
    expect(same.statusCode, same.body).toBe(200)
    expect((await reveal('hook')).json()).toMatchObject({
      fullUrl: `${HOOK_URL}&page=2`,
      headerList: [
        { name: 'x-api-key', value: 'H-Secret-1' },
        { name: 'Authorization', value: 'Bearer H-Secret-2' },
        { name: 'X-Trace', value: '' },
        { name: 'X-New', value: 'N-1' },
      ],
    })
    const before = await row('hook')
    for (const fullUrl of [
      MASKED_URL.replace('hooks.example.com', 'hooks.attacker.example'),
      MASKED_URL.replace('https://', 'http://'),
      MASKED_URL.replace('/in/apiops', '/in/other'),
    ]) {
      const moved = await put('hook', 'webhook', {
        fullUrl,
        headerList: [
          { name: 'Authorization', value: MASK },
          { name: 'X-New', value: MASK },
        ],
      })
      expect(moved.statusCode, moved.body).toBe(400)
      expect(moved.json().validation_errors.map((e: { field: string }) => e.field)).toEqual([
        'headerList.0.value',
        'headerList.1.value',
        'fullUrl',
        'fullUrl',
      ])
      expect(moved.json().validation_errors[2].message).toBe(
        'is kept from before, but the target changed (fullUrl): send it again; a stored secret is never sent to a new target',
      )
    }
    expect(await row('hook')).toEqual(before)
    const unknown = await put('hook', 'webhook', {
      fullUrl: HOOK_URL,
      headerList: [{ name: 'X-Other', value: MASK }],
    })
    expect(unknown.statusCode).toBe(400)
    expect(unknown.json().validation_errors[0].field).toBe('headerList.0.value')
    expect(unknown.json().validation_errors[0].message).toMatch(/none is stored for it/)
    const fresh = await put('hook', 'webhook', {
      fullUrl: 'https://hooks.attacker.example/in?api_key=Q-New',
      headerList: [{ name: 'Authorization', value: 'Bearer H-New' }],
    })
    expect(fresh.statusCode, fresh.body).toBe(200)
    expect((await reveal('hook')).json()).toMatchObject({
      fullUrl: 'https://hooks.attacker.example/in?api_key=Q-New',
      headerList: [{ name: 'Authorization', value: 'Bearer H-New' }],
    })
    const create = await w.call('POST', URL, w.security, webhook('masked', MASKED_URL, []))
    expect(create.statusCode).toBe(400)
    expect(create.json().validation_errors.map((e: { field: string }) => e.field)).toEqual([
      'fullUrl',
      'fullUrl',
    ])
  })

  it('seals webhook values stored in clear before they were sealed, at the next start', async () => {
    const project = await w.ctx.store.db
      .selectFrom('projects')
      .select('id')
      .where('name', '=', 'Payments')
      .executeTakeFirstOrThrow()
    // As migration 0017 leaves such a row: documented fields, values still in clear.
    const legacy = {
      deployToWorker: true,
      fullUrl: 'https://legacy.example.com/h?token=L-Secret-1',
      httpMethod: 'POST',
      headerList: [{ name: 'X-Api-Key', value: 'L-Secret-2' }],
    }
    for (const name of ['legacy-1', 'legacy-2']) {
      await w.ctx.store.db
        .insertInto('connections')
        .values({
          id: randomUUID(),
          project_id: project.id,
          name,
          type: 'webhook',
          description: '',
          enabled: 1,
          settings: JSON.stringify(legacy),
          secret: null,
          created_at: '2025-06-01T00:00:00.000Z',
          updated_at: '2025-06-01T00:00:00.000Z',
        })
        .execute()
    }
    // Before the next start, the stored rows are read as sealed ones are.
    const masked = {
      ...legacy,
      fullUrl: `https://legacy.example.com/h?token=${MASK}`,
      headerList: [{ name: 'X-Api-Key', value: MASK }],
    }
    expect(await read('legacy-1')).toMatchObject(masked)
    expect((await reveal('legacy-1')).json()).toMatchObject({
      fullUrl: legacy.fullUrl,
      headerList: legacy.headerList,
    })
    const kept = await put('legacy-2', 'webhook', {
      ...masked,
      headerList: [
        { name: 'X-Api-Key', value: MASK },
        { name: 'X-More', value: 'L-Secret-3' },
      ],
    })
    expect(kept.statusCode, kept.body).toBe(200)
    expect((await reveal('legacy-2')).json().headerList).toEqual([
      { name: 'X-Api-Key', value: 'L-Secret-2' },
      { name: 'X-More', value: 'L-Secret-3' },
    ])
    expect((await row('legacy-1')).settings).toContain('L-Secret-1')

    // A restart: a server built on the same database seals what is left in clear.
    const restarted = await buildApp({
      config: w.ctx.config,
      store: w.ctx.store,
      clock: w.ctx.clock,
      events: w.ctx.events,
      keys: w.ctx.keys,
      consoleDir: '/nonexistent',
    })
    await restarted.close()
    const rows = await w.ctx.store.db
      .selectFrom('connections')
      .select(['settings', 'secret'])
      .execute()
    for (const r of rows) {
      for (const secret of [...LEGACY_SECRETS, ...HOOK_SECRETS, 'Q-New', 'H-New']) {
        expect(r.settings).not.toContain(secret)
        expect(r.secret ?? '').not.toContain(secret)
      }
    }
    expect(JSON.parse((await row('legacy-1')).settings)).toEqual(masked)
    expect((await reveal('legacy-1')).json()).toMatchObject({
      fullUrl: legacy.fullUrl,
      headerList: legacy.headerList,
    })
  })

  it('never logged a secret, nor answered one outside a reveal', () => {
    const log = w.logLines.join('')
    expect(log).toContain('/secrets/')
    const revealed = new Set([...HOOK_SECRETS, ...LEGACY_SECRETS, 'Q-New', 'H-New'])
    // A reveal answers the connection itself; every other answer has a status.
    const others = w.answers.filter((a) => !a.startsWith('{"type"'))
    expect(others.length).toBeLessThan(w.answers.length)
    for (const secret of [...revealed, OLD, NEW]) {
      expect(log).not.toContain(secret)
      for (const answer of others) expect(answer).not.toContain(secret)
    }
  })
})
