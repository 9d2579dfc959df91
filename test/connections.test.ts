import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { errors } from '../src/errors.ts'
import { secretContext } from '../src/resources/connections/connections.service.ts'
import { MASK, seal, unseal } from '../src/sealed.ts'
import {
  buildSecurityWorld,
  openedSecrets,
  type SecurityWorld,
  storedConnection,
} from './fixtures/security-objects.ts'
import { dialects } from './helpers.ts'

const URL = '/apiops/projects/Payments/connections/'
const DB_PASSWORD = 'Db-Secret-7f3a91'
const LDAP_PASSWORD = 'Ldap-Secret-c0ffee'
const NEW_PASSWORD = 'Rotated-Secret-42ab'

const database = (name: string, fields: Record<string, unknown> = {}) => ({
  name,
  type: 'database',
  description: 'Orders database',
  dbType: 'POSTGRES',
  jdbcUrl: 'jdbc:postgresql://db.internal:5432/orders',
  username: 'orders_app',
  password: DB_PASSWORD,
  databaseName: 'orders',
  ...fields,
})

const EXAMPLES = {
  ldap: {
    serverAddress: 'ldaps://ldap.example.com:636',
    username: 'cn=gateway,ou=services,dc=example,dc=com',
    password: LDAP_PASSWORD,
    baseDn: 'dc=example,dc=com',
  },
  email: { host: 'smtp.example.com', port: 465, from: 'noreply@example.com', enableStartTls: true },
  kafka: { bootstrapServers: 'k1.internal:9092,k2.internal:9092', topicName: 'audit.events' },
  webhook: {
    fullUrl: 'https://hooks.example.com/apiops',
    httpMethod: 'PUT',
    headerList: [{ name: 'X-Team', value: 'payments' }],
  },
  elasticsearch: {
    elasticHostList: [{ scheme: 'https', host: 'es.internal', port: 9200 }],
    indexName: 'gateway-logs',
  },
}

/** The fields every connection answers besides its type's. */
const common = (name: string, type: string, description = '') => ({
  type,
  name,
  description,
  deployToWorker: true,
  enabled: true,
})

describe.each(dialects())('connections (%s)', (dialect) => {
  let w: SecurityWorld

  beforeAll(async () => {
    w = await buildSecurityWorld(dialect)
  })
  afterAll(() => w.ctx.close())

  const row = (name: string) => storedConnection(w, name)
  const storedPassword = async (name: string) =>
    ((await openedSecrets(w, name)) as { values?: { password?: string } } | null)?.values
      ?.password ?? null
  const read = async (name: string) => {
    const res = await w.call('GET', `${URL}${name}/`, w.security)
    expect(res.statusCode, res.body).toBe(200)
    return res.json().resultList[0]
  }

  it('creates a database connection, masking its password', async () => {
    const res = await w.call('POST', URL, w.security, database('orders-db'))
    expect(res.statusCode).toBe(201)
    const connection = {
      ...common('orders-db', 'database', 'Orders database'),
      dbType: 'POSTGRES',
      jdbcUrl: 'jdbc:postgresql://db.internal:5432/orders',
      username: 'orders_app',
      password: MASK,
      databaseName: 'orders',
      createdAt: '2026-01-15T10:00:00.000Z',
      updatedAt: '2026-01-15T10:00:00.000Z',
    }
    expect(res.json()).toEqual({
      status: 'SUCCESS',
      success: true,
      deploymentResult: { success: true, deploymentResults: [] },
      connection,
    })
    expect(await w.call('GET', `${URL}orders-db/`, w.security).then((r) => r.json())).toEqual({
      status: 'SUCCESS',
      success: true,
      resultList: [connection],
      resultCount: 1,
    })
  })

  it('creates one connection of every other type, with that type’s fields', async () => {
    for (const [type, fields] of Object.entries(EXAMPLES)) {
      const res = await w.call('POST', URL, w.admin, { name: `${type}-1`, type, ...fields })
      expect(res.statusCode, res.body).toBe(201)
      expect(res.json().connection).toMatchObject(common(`${type}-1`, type))
    }
    expect(await read('ldap-1')).toMatchObject({ ...EXAMPLES.ldap, password: MASK })
    expect(await read('email-1')).toMatchObject({ ...EXAMPLES.email, password: null })
    expect(await read('kafka-1')).toMatchObject(EXAMPLES.kafka)
    // A webhook has no password field: its secrets are its header and query values.
    expect(await read('webhook-1')).toMatchObject({
      ...EXAMPLES.webhook,
      headerList: [{ name: 'X-Team', value: MASK }],
    })
    expect(await read('elasticsearch-1')).toMatchObject({
      ...EXAMPLES.elasticsearch,
      elasticPassword: null,
      caKeystoreFilePass: null,
    })
  })

  it('still reads the nested `settings` body of earlier versions, for the six types it had', async () => {
    const res = await w.call('POST', URL, w.security, {
      name: 'old-shape',
      type: 'ldap',
      settings: {
        url: 'ldap://ldap.example.com',
        bindDn: 'cn=old,dc=example,dc=com',
        password: LDAP_PASSWORD,
        baseDn: 'dc=example,dc=com',
      },
    })
    expect(res.statusCode, res.body).toBe(201)
    expect(await read('old-shape')).toMatchObject({
      serverAddress: 'ldap://ldap.example.com',
      username: 'cn=old,dc=example,dc=com',
      password: MASK,
    })
    const wrong = await w.call('POST', URL, w.security, {
      name: 'old-wrong',
      type: 'webhook',
      settings: { url: 'https://hooks.example.com/x', method: 'TRACE' },
    })
    expect(wrong.json().validation_errors.map((e: { field: string }) => e.field)).toEqual([
      'httpMethod',
    ])
    expect((await w.call('DELETE', `${URL}old-shape/`, w.security)).statusCode).toBe(200)
  })

  it('lists by name, filters by type, pages and sorts', async () => {
    const names = async (query: string) =>
      (await w.call('GET', `${URL}${query}`, w.security))
        .json()
        .resultList.map((c: { name: string }) => c.name)
    expect(await names('')).toEqual([
      'elasticsearch-1',
      'email-1',
      'kafka-1',
      'ldap-1',
      'orders-db',
      'webhook-1',
    ])
    expect(await names('?type=database')).toEqual(['orders-db'])
    expect(await names('?type=ldap')).toEqual(['ldap-1'])
    expect(await names('?type=ftp')).toEqual([])
    expect(await names('?size=2&page=1')).toEqual(['kafka-1', 'ldap-1'])
    expect(await names('?sort=type,desc&size=2')).toEqual(['webhook-1', 'ldap-1'])
    const list = await w.call('GET', URL, w.security)
    expect(list.json()).toMatchObject({ status: 'SUCCESS', success: true, resultCount: 6 })
    const bad = await w.call('GET', `${URL}?type=oracle`, w.security)
    expect(bad.statusCode).toBe(400)
    expect(bad.json().error).toBe('validation_failed')
    expect(bad.json().validation_errors.map((e: { field: string }) => e.field)).toEqual(['type'])
    expect((await w.call('GET', `${URL}?sort=password`, w.security)).statusCode).toBe(400)
  })

  it('answers with and without the trailing slash, and 404 for a missing connection', async () => {
    expect((await w.call('GET', `${URL}orders-db`, w.security)).statusCode).toBe(200)
    expect((await w.call('GET', URL.slice(0, -1), w.security)).statusCode).toBe(200)
    const missing = await w.call('GET', `${URL}nope/`, w.security)
    expect(missing.statusCode).toBe(404)
    expect(missing.json()).toEqual(
      errors.notFound("Connection 'nope' in project 'Payments'").toJSON(),
    )
    // Names are case-sensitive.
    expect((await w.call('GET', `${URL}Orders-DB/`, w.security)).statusCode).toBe(404)
  })

  it('lets members without ROLE_API_SECURITY read but not write, naming the role', async () => {
    for (const url of [URL, `${URL}orders-db/`]) {
      expect((await w.call('GET', url, w.developer)).statusCode, url).toBe(200)
    }
    for (const [method, url, body] of [
      ['POST', URL, database('dev-db')],
      ['POST', `${URL}dev-db/`, database('dev-db')],
      ['PUT', `${URL}orders-db/`, database('orders-db')],
      ['DELETE', `${URL}orders-db/`, undefined],
    ] as const) {
      const res = await w.call(method, url, w.developer, body)
      expect(res.statusCode, `${method} ${url}`).toBe(403)
      expect(res.json()).toEqual(errors.missingRole('ROLE_API_SECURITY').toJSON())
    }
    // The role is checked before the body is looked at, so an invalid body is still a 403.
    expect((await w.call('POST', URL, w.developer, { nonsense: true })).statusCode).toBe(403)
  })

  it('answers 404 to non-members exactly as for a project that does not exist', async () => {
    const hidden = errors.notFound("Project 'Payments'").toJSON()
    for (const [method, url, body] of [
      ['GET', URL, undefined],
      ['GET', `${URL}orders-db/`, undefined],
      ['POST', URL, database('spy-db')],
      ['PUT', `${URL}orders-db/`, database('orders-db')],
      ['DELETE', `${URL}orders-db/`, undefined],
    ] as const) {
      const res = await w.call(method, url, w.outsider, body)
      expect(res.statusCode, `${method} ${url}`).toBe(404)
      expect(res.json()).toEqual(hidden)
    }
    const ghost = await w.call('GET', '/apiops/projects/Ghost/connections/', w.admin)
    expect(ghost.statusCode).toBe(404)
    expect(ghost.json()).toEqual(errors.notFound("Project 'Ghost'").toJSON())
    // Their own project works, and does not show Payments' connections.
    const own = await w.call('GET', '/apiops/projects/Internal/connections/', w.outsider)
    expect(own.json().resultCount).toBe(0)
  })

  it('refuses a duplicate name in the project with 409, but not in another project', async () => {
    const dup = await w.call('POST', URL, w.security, database('orders-db'))
    expect(dup.statusCode).toBe(409)
    expect(dup.json()).toEqual(
      errors.duplicateName("Connection 'orders-db' in project 'Payments'").toJSON(),
    )
    const elsewhere = await w.call(
      'POST',
      '/apiops/projects/Internal/connections/',
      w.outsider,
      database('orders-db'),
    )
    expect(elsewhere.statusCode).toBe(201)
  })

  const invalid: [string, unknown, string[]][] = [
    ['a missing jdbcUrl (and host)', database('v1', { jdbcUrl: undefined }), ['jdbcUrl']],
    ['an unknown dbType', database('v2', { dbType: 'ACCESS' }), ['dbType']],
    ['a field the type does not have', database('v3', { sslMode: 'on' }), ['sslMode']],
    ['a pool too large', database('v4', { maxPoolSize: 50_000 }), ['maxPoolSize']],
    ['a password without a username', database('v5', { username: undefined }), ['username']],
    [
      'a password inside the JDBC URL',
      database('v6', { jdbcUrl: 'jdbc:mysql://db:3306/x?user=a&password=hunter2' }),
      ['jdbcUrl'],
    ],
    ['the mask as a new password', database('v7', { password: MASK }), ['password']],
    ['a space in the name', database('has space'), ['name']],
    ['an unknown type', { name: 'v8', type: 'oracle' }, ['type']],
    [
      'an LDAP connection without its required fields',
      { name: 'v9', type: 'ldap' },
      ['serverAddress', 'username', 'baseDn'],
    ],
    ['a field outside the connection', { ...database('v10'), owner: 'me' }, ['owner']],
    [
      'a description too long',
      { ...database('v11'), description: 'x'.repeat(1001) },
      ['description'],
    ],
    [
      'an LDAP URL that is not ldap(s)',
      { name: 'v12', type: 'ldap', ...EXAMPLES.ldap, serverAddress: 'http://ldap' },
      ['serverAddress'],
    ],
    [
      'an LDAP bind DN without its password',
      { name: 'v13', type: 'ldap', ...EXAMPLES.ldap, password: undefined },
      ['password'],
    ],
    [
      'an email port out of range',
      { name: 'v14', type: 'email', ...EXAMPLES.email, port: 70000 },
      ['port'],
    ],
    [
      'Kafka servers without ports',
      { name: 'v15', type: 'kafka', ...EXAMPLES.kafka, bootstrapServers: 'k1,k2' },
      ['bootstrapServers'],
    ],
    [
      'a webhook method the docs do not list',
      { name: 'v16', type: 'webhook', ...EXAMPLES.webhook, httpMethod: 'TRACE' },
      ['httpMethod'],
    ],
    [
      'a webhook password (webhooks have no password field)',
      { name: 'v17', type: 'webhook', ...EXAMPLES.webhook, password: 'x' },
      ['password'],
    ],
    [
      'user and password in a webhook URL (its query values are sealed, the rest is not)',
      {
        name: 'v18',
        type: 'webhook',
        ...EXAMPLES.webhook,
        fullUrl: 'https://user:pw@hooks.example.com/x',
      },
      ['fullUrl'],
    ],
    [
      'credentials in an Elasticsearch URL of the old shape',
      {
        name: 'v19',
        type: 'elasticsearch',
        settings: { url: 'https://elastic:changeme@es:9200', index: 'logs' },
      },
      ['elasticHostList'],
    ],
  ]
  it('says in plain words what a pattern wants', async () => {
    const res = await w.call(
      'POST',
      URL,
      w.security,
      database('v21', { jdbcUrl: 'postgres://db/orders' }),
    )
    expect(res.json().validation_errors).toEqual([
      { field: 'jdbcUrl', message: 'must be a JDBC URL, like jdbc:postgresql://host:5432/db' },
    ])
    // A NUL in free text is refused up front (PostgreSQL text cannot store it).
    const nul = await w.call('POST', URL, w.security, {
      ...database('v22'),
      description: 'a\u0000b',
    })
    expect(nul.statusCode).toBe(400)
    expect(nul.json().validation_errors).toEqual([
      { field: 'description', message: 'must not contain NUL (\\u0000) characters' },
    ])
  })

  it.each(invalid)('refuses %s with 400, naming exactly the fields', async (_, body, fields) => {
    const res = await w.call('POST', URL, w.security, body)
    expect(res.statusCode, res.body).toBe(400)
    expect(res.json().error).toBe('validation_failed')
    expect(res.json().validation_errors.map((e: { field: string }) => e.field)).toEqual(fields)
  })

  it('stores the password sealed and bound to its row, the mask in its settings', async () => {
    const r = await row('orders-db')
    expect(r.settings).not.toContain(DB_PASSWORD)
    expect(JSON.parse(r.settings).password).toBe(MASK)
    expect(r.secret?.startsWith('v1.')).toBe(true)
    expect(r.secret).not.toContain(DB_PASSWORD)
    expect(await storedPassword('orders-db')).toBe(DB_PASSWORD)
    // Copied into another row (or another table's column), the ciphertext does not open.
    const other = await row('ldap-1')
    expect(() =>
      unseal(w.ctx.services.atRestKey, r.secret as string, secretContext(other.id)),
    ).toThrow()
    expect(() =>
      unseal(w.ctx.services.atRestKey, r.secret as string, `credentials:${r.id}:password`),
    ).toThrow()
    // LDAP's own secret back, sealed as versions before the documented shape did: still read.
    await w.ctx.store.db
      .updateTable('connections')
      .set({
        secret: seal(
          w.ctx.services.atRestKey,
          JSON.stringify({ password: LDAP_PASSWORD }),
          secretContext(other.id),
        ),
      })
      .where('id', '=', other.id)
      .execute()
    const kept = await w.call('PUT', `${URL}ldap-1/`, w.security, {
      type: 'ldap',
      ...EXAMPLES.ldap,
      password: MASK,
    })
    expect(kept.statusCode, kept.body).toBe(200)
    expect(await storedPassword('ldap-1')).toBe(LDAP_PASSWORD)
  })

  it('replaces a connection, keeping the password when it is sent masked or left out', async () => {
    w.ctx.clock.advance(60_000)
    const masked = await w.call('PUT', `${URL}orders-db/`, w.security, {
      ...database('orders-db', { password: MASK, maxPoolSize: 20 }),
      description: 'Bigger pool',
    })
    expect(masked.statusCode, masked.body).toBe(200)
    expect(masked.json().connection).toMatchObject({
      description: 'Bigger pool',
      maxPoolSize: 20,
      password: MASK,
      createdAt: '2026-01-15T10:00:00.000Z',
      updatedAt: '2026-01-15T10:01:00.000Z',
    })
    expect(await storedPassword('orders-db')).toBe(DB_PASSWORD)

    const { name: _name, ...withoutName } = database('x', { password: undefined })
    const omitted = await w.call('PUT', `${URL}orders-db/`, w.security, withoutName)
    expect(omitted.statusCode, omitted.body).toBe(200)
    // PUT replaces: what was not sent is gone.
    expect(omitted.json().connection.maxPoolSize).toBeUndefined()
    expect(omitted.json().connection.password).toBe(MASK)
    expect(await storedPassword('orders-db')).toBe(DB_PASSWORD)

    const rotated = await w.call('PUT', `${URL}orders-db/`, w.security, {
      ...database('orders-db', { password: NEW_PASSWORD }),
    })
    expect(rotated.json().connection.password).toBe(MASK)
    expect(await storedPassword('orders-db')).toBe(NEW_PASSWORD)
    expect((await row('orders-db')).secret).not.toContain(NEW_PASSWORD)

    const cleared = await w.call('PUT', `${URL}orders-db/`, w.security, {
      ...database('orders-db', { password: null }),
      enabled: false,
    })
    expect(cleared.json().connection).toMatchObject({ enabled: false, password: null })
    expect((await row('orders-db')).secret).toBeNull()
  })

  it('renames on PUT, but never onto another connection, and never changes the type', async () => {
    const renamed = await w.call('PUT', `${URL}orders-db/`, w.security, database('orders-db-2'))
    expect(renamed.statusCode, renamed.body).toBe(200)
    expect(renamed.json().connection.name).toBe('orders-db-2')
    const back = await w.call('PUT', `${URL}orders-db-2/`, w.security, database('orders-db'))
    expect(back.statusCode).toBe(200)
    const taken = await w.call('PUT', `${URL}orders-db/`, w.security, database('ldap-1'))
    expect(taken.statusCode).toBe(409)
    expect(taken.json().error).toBe('duplicate_name')
    const retyped = await w.call('PUT', `${URL}orders-db/`, w.security, {
      type: 'ldap',
      ...EXAMPLES.ldap,
    })
    expect(retyped.statusCode).toBe(409)
    expect(retyped.json().error).toBe('conflict')
    expect(retyped.json().error_description).toMatch(
      /is a database connection and its type cannot change to ldap/,
    )
    const missing = await w.call('PUT', `${URL}nope/`, w.security, database('nope'))
    expect(missing.statusCode).toBe(404)
    const invalid = await w.call('PUT', `${URL}orders-db/`, w.security, {
      type: 'database',
      dbType: 'POSTGRES',
    })
    expect(invalid.statusCode).toBe(400)
    expect(invalid.json().validation_errors.map((e: { field: string }) => e.field)).toEqual([
      'password',
      'jdbcUrl',
      'username',
    ])
  })

  it('lets an administrator manage any project, and deletes', async () => {
    const del = await w.call('DELETE', `${URL}kafka-1/`, w.admin)
    expect(del.statusCode).toBe(200)
    expect(del.json()).toEqual({
      status: 'SUCCESS',
      success: true,
      deploymentResult: { success: true, deploymentResults: [] },
    })
    expect((await w.call('DELETE', `${URL}kafka-1/`, w.security)).statusCode).toBe(404)
    expect((await w.call('DELETE', `${URL}email-1`, w.security)).statusCode).toBe(200)
    const left = await w.call('GET', URL, w.security)
    expect(left.json().resultCount).toBe(4)
  })

  it('never answered or logged a password', () => {
    const everything = w.answers.join('\n')
    expect(everything).toContain('orders-db') // the answers were recorded
    const log = w.logLines.join('')
    expect(log).toContain('/connections/')
    for (const secret of [DB_PASSWORD, LDAP_PASSWORD, NEW_PASSWORD]) {
      expect(everything).not.toContain(secret)
      expect(log).not.toContain(secret)
    }
  })
})
