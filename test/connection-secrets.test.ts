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
 * Stored secrets follow their target: a secret sent back masked (or a password left
 * out) is kept only while the connection still points where it did. And a webhook's
 * header and query values are secrets: sealed at rest, masked for every reader,
 * revealed only on an explicit, audited request by a holder of ROLE_API_SECURITY.
 */

const URL = '/apiops/projects/Payments/connections/'
const OLD = 'Stored-Secret-5e1f'
const NEW = 'Fresh-Secret-9a2c'

/** Per type: a connection with a password, a change of its target, and a change that is not one. */
const TARGETS: [string, Record<string, unknown>, Record<string, unknown>, string, object][] = [
  [
    'database',
    {
      dbType: 'POSTGRES',
      jdbcUrl: 'jdbc:postgresql://db.internal:5432/orders',
      username: 'app',
      password: OLD,
    },
    { jdbcUrl: 'jdbc:postgresql://db.attacker.example:5432/orders' },
    'jdbcUrl',
    { poolMaxSize: 9, databaseName: 'orders' },
  ],
  [
    'ldap',
    {
      url: 'ldaps://ldap.example.com:636',
      bindDn: 'cn=gw,dc=example,dc=com',
      password: OLD,
      baseDn: 'dc=example,dc=com',
    },
    { url: 'ldaps://ldap.attacker.example:636' },
    'url',
    // The same server, written another way; the base DN is not where the password goes.
    { url: 'ldaps://LDAP.example.com', baseDn: 'ou=people,dc=example,dc=com' },
  ],
  [
    'email',
    {
      host: 'smtp.example.com',
      port: 465,
      username: 'mailer',
      password: OLD,
      from: 'a@example.com',
    },
    { host: 'smtp.attacker.example' },
    'host',
    { host: 'SMTP.example.com', from: 'b@example.com', useTls: false },
  ],
  [
    'email',
    {
      host: 'smtp.example.com',
      port: 465,
      username: 'mailer',
      password: OLD,
      from: 'a@example.com',
    },
    { port: 2525 },
    'port',
    { from: 'c@example.com' },
  ],
  [
    'kafka',
    {
      bootstrapServers: 'k1.internal:9092,k2.internal:9092',
      topic: 'events',
      saslUsername: 'gw',
      password: OLD,
    },
    { bootstrapServers: 'k1.internal:9092,k2.attacker.example:9092' },
    'bootstrapServers',
    { bootstrapServers: 'k2.internal:9092,k1.internal:9092', topic: 'other' },
  ],
  [
    'elasticsearch',
    { url: 'https://es.internal:9200', index: 'logs', username: 'gw', password: OLD },
    { url: 'https://es.attacker.example:9200' },
    'url',
    { url: 'https://ES.internal:9200/', index: 'other-logs' },
  ],
]

const HOOK_URL =
  'https://hooks.example.com/in/apiops?api_key=Q-Secret-1&team=Q-Secret-2&flag&empty='
const HOOK_HEADERS = {
  'X-Api-Key': 'H-Secret-1',
  Authorization: 'Bearer H-Secret-2',
  'X-Trace': '',
}
const MASKED_URL = `https://hooks.example.com/in/apiops?api_key=${MASK}&team=${MASK}&flag&empty=`
const MASKED_HEADERS = { 'X-Api-Key': MASK, Authorization: MASK, 'X-Trace': '' }
const HOOK_SECRETS = ['Q-Secret-1', 'Q-Secret-2', 'H-Secret-1', 'H-Secret-2']
const LEGACY_SECRETS = ['L-Secret-1', 'L-Secret-2', 'L-Secret-3']

const webhook = (name: string, url: string, headers: Record<string, string>) => ({
  name,
  type: 'webhook',
  settings: { url, method: 'POST', headers },
})

describe.each(dialects())('stored secrets follow their target (%s)', (dialect) => {
  let w: SecurityWorld

  beforeAll(async () => {
    w = await buildSecurityWorld(dialect)
  })
  afterAll(() => w.ctx.close())

  const row = (name: string) => storedConnection(w, name)
  // biome-ignore lint/suspicious/noExplicitAny: the tests read whichever field they sealed
  const opened = async (name: string): Promise<any> => openedSecrets(w, name)
  const put = (name: string, type: string, settings: object, token = w.security) =>
    w.call('PUT', `${URL}${name}/`, token, { type, settings })
  const reveal = (name: string, token = w.security) =>
    w.call('GET', `${URL}${name}/secrets/`, token)
  const audit = async (action: string) =>
    (await w.call('GET', `/apiops/audit/?action=${action}`, w.admin)).json().resultList as {
      actor: string
      action: string
      target: string
      outcome: string
      status: number
    }[]

  it.each(TARGETS.map((t, i) => [`${t[0]} (${t[3]})`, i] as const))(
    '%s: a moved target takes the password only when it is sent again',
    async (_, i) => {
      const [type, settings, moved, field, same] = TARGETS[i] as (typeof TARGETS)[number]
      const name = `target-${i}`
      expect((await w.call('POST', URL, w.security, { name, type, settings })).statusCode).toBe(201)
      const before = await row(name)
      const { password: _password, ...without } = settings
      for (const sent of [
        { ...settings, ...moved, password: MASK },
        { ...without, ...moved },
      ]) {
        const res = await put(name, type, sent)
        expect(res.statusCode, res.body).toBe(400)
        expect(res.json().error).toBe('validation_failed')
        expect(res.json().validation_errors).toEqual([
          {
            field: 'settings.password',
            message: `is kept from before, but the target changed (${field}): send the password again; a stored secret is never sent to a new target`,
          },
        ])
      }
      expect(await row(name)).toEqual(before)

      // The same target (another spelling, other fields changed) keeps it, as before.
      const kept = await put(name, type, { ...settings, ...same, password: MASK })
      expect(kept.statusCode, kept.body).toBe(200)
      expect(kept.json().settings).toMatchObject({ ...same, password: MASK })
      expect((await opened(name)).password).toBe(OLD)

      const fresh = await put(name, type, { ...settings, ...moved, password: NEW })
      expect(fresh.statusCode, fresh.body).toBe(200)
      expect(fresh.json().settings).toMatchObject({ ...moved, password: MASK })
      expect((await opened(name)).password).toBe(NEW)
      expect((await row(name)).secret).not.toContain(NEW)

      // With no password stored there is nothing to keep: the target may move freely.
      const removed = await put(name, type, { ...without, password: null })
      expect(removed.statusCode, removed.body).toBe(200)
      expect((await row(name)).secret).toBeNull()
      expect((await put(name, type, { ...without, ...moved })).statusCode).toBe(200)
      await put(name, type, { ...settings, ...moved, password: NEW })
    },
  )

  it('seals every webhook header value and query value, and masks them for every reader', async () => {
    const created = await w.call('POST', URL, w.security, webhook('hook', HOOK_URL, HOOK_HEADERS))
    expect(created.statusCode, created.body).toBe(201)
    const masked = { url: MASKED_URL, method: 'POST', headers: MASKED_HEADERS }
    expect(created.json().settings).toEqual(masked)
    const r = await row('hook')
    expect(JSON.parse(r.settings)).toEqual(masked)
    expect(r.secret?.startsWith('v1.')).toBe(true)
    for (const secret of HOOK_SECRETS) {
      expect(r.settings).not.toContain(secret)
      expect(r.secret).not.toContain(secret)
    }
    expect(await opened('hook')).toEqual({
      headers: { 'X-Api-Key': 'H-Secret-1', Authorization: 'Bearer H-Secret-2' },
      query: [
        ['api_key', 'Q-Secret-1'],
        ['team', 'Q-Secret-2'],
      ],
    })
    for (const reader of [w.developer, w.security, w.admin]) {
      expect((await w.call('GET', `${URL}hook/`, reader)).json().settings).toEqual(masked)
      const list = await w.call('GET', `${URL}?type=webhook`, reader)
      expect(
        list.json().resultList.find((c: { name: string }) => c.name === 'hook').settings,
      ).toEqual(masked)
    }
  })

  it('reveals the stored values only on explicit request by a holder of the role, and audits it', async () => {
    const res = await reveal('hook')
    expect(res.statusCode, res.body).toBe(200)
    expect(res.headers['cache-control']).toBe('no-store')
    expect(res.json()).toEqual({
      name: 'hook',
      type: 'webhook',
      settings: { url: HOOK_URL, headers: HOOK_HEADERS },
    })
    expect((await reveal('hook', w.admin)).statusCode).toBe(200)
    const events = await audit('connection.secretsRevealed')
    expect(events.map((e) => [e.actor, e.outcome, e.status, e.target])).toEqual([
      ['root', 'success', 200, expect.stringMatching(/^project=Payments connection=hook /)],
      [
        'sec',
        'success',
        200,
        'project=Payments connection=hook fields=headers.X-Api-Key,headers.Authorization,url?api_key,url?team',
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
      url: `${MASKED_URL}&page=2`,
      method: 'PUT',
      // Header names compare ignoring case, as in HTTP.
      headers: { 'x-api-key': MASK, Authorization: MASK, 'X-Trace': '', 'X-New': 'N-1' },
    })
    expect(same.statusCode, same.body).toBe(200)
    expect((await reveal('hook')).json().settings).toEqual({
      url: `${HOOK_URL}&page=2`,
      headers: {
        'x-api-key': 'H-Secret-1',
        Authorization: 'Bearer H-Secret-2',
        'X-Trace': '',
        'X-New': 'N-1',
      },
    })
    const before = await row('hook')
    for (const url of [
      MASKED_URL.replace('hooks.example.com', 'hooks.attacker.example'),
      MASKED_URL.replace('https://', 'http://'),
      MASKED_URL.replace('/in/apiops', '/in/other'),
    ]) {
      const moved = await put('hook', 'webhook', {
        url,
        headers: { Authorization: MASK, 'X-New': MASK },
      })
      expect(moved.statusCode, moved.body).toBe(400)
      expect(moved.json().validation_errors.map((e: { field: string }) => e.field)).toEqual([
        'settings.headers.Authorization',
        'settings.headers.X-New',
        'settings.url',
        'settings.url',
      ])
      expect(moved.json().validation_errors[2].message).toBe(
        "is kept from before, but the target changed (url): send the value of query parameter 'api_key' again; a stored secret is never sent to a new target",
      )
    }
    expect(await row('hook')).toEqual(before)
    const unknown = await put('hook', 'webhook', { url: HOOK_URL, headers: { 'X-Other': MASK } })
    expect(unknown.statusCode).toBe(400)
    expect(unknown.json().validation_errors[0].field).toBe('settings.headers.X-Other')
    expect(unknown.json().validation_errors[0].message).toMatch(
      /no value is stored for this header/,
    )
    const fresh = await put('hook', 'webhook', {
      url: 'https://hooks.attacker.example/in?api_key=Q-New',
      headers: { Authorization: 'Bearer H-New' },
    })
    expect(fresh.statusCode, fresh.body).toBe(200)
    expect((await reveal('hook')).json().settings).toEqual({
      url: 'https://hooks.attacker.example/in?api_key=Q-New',
      headers: { Authorization: 'Bearer H-New' },
    })
    const create = await w.call('POST', URL, w.security, webhook('masked', MASKED_URL, {}))
    expect(create.statusCode).toBe(400)
    expect(create.json().validation_errors.map((e: { field: string }) => e.field)).toEqual([
      'settings.url',
      'settings.url',
    ])
  })

  it('seals webhook values stored in clear before this version, at the next start', async () => {
    const project = await w.ctx.store.db
      .selectFrom('projects')
      .select('id')
      .where('name', '=', 'Payments')
      .executeTakeFirstOrThrow()
    const legacy = {
      url: 'https://legacy.example.com/h?token=L-Secret-1',
      method: 'POST',
      headers: { 'X-Api-Key': 'L-Secret-2' },
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
      url: `https://legacy.example.com/h?token=${MASK}`,
      headers: { 'X-Api-Key': MASK },
    }
    expect((await w.call('GET', `${URL}legacy-1/`, w.developer)).json().settings).toEqual(masked)
    expect((await reveal('legacy-1')).json().settings).toEqual({
      url: legacy.url,
      headers: legacy.headers,
    })
    const kept = await put('legacy-2', 'webhook', {
      ...masked,
      headers: { 'X-Api-Key': MASK, 'X-More': 'L-Secret-3' },
    })
    expect(kept.statusCode, kept.body).toBe(200)
    expect((await reveal('legacy-2')).json().settings.headers).toEqual({
      'X-Api-Key': 'L-Secret-2',
      'X-More': 'L-Secret-3',
    })
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
    expect((await reveal('legacy-1')).json().settings).toEqual({
      url: legacy.url,
      headers: legacy.headers,
    })
  })

  it('never logged a secret, nor answered one outside a reveal', () => {
    const log = w.logLines.join('')
    expect(log).toContain('/secrets/')
    const revealed = new Set([...HOOK_SECRETS, ...LEGACY_SECRETS, 'Q-New', 'H-New'])
    // A reveal's answer is the one without createdAt.
    const others = w.answers.filter(
      (a) => !a.includes('"settings":{"url"') || a.includes('createdAt'),
    )
    for (const secret of [...revealed, OLD, NEW]) {
      expect(log).not.toContain(secret)
      for (const answer of others) expect(answer).not.toContain(secret)
    }
  })
})
