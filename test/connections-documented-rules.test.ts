import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MASK } from '../src/sealed.ts'
import { EXAMPLES, SECRET_FIELDS } from './fixtures/connection-examples.ts'
import {
  buildSecurityWorld,
  openedSecrets,
  type SecurityWorld,
} from './fixtures/security-objects.ts'
import { dialects } from './helpers.ts'

/*
 * The rules of the documented shape, per type, from each type's documented examples: a
 * field the type does not have or a value outside its enum is a 400 naming the field;
 * a secret sent back masked or left out is kept; a changed target needs it again.
 */

const URL = '/apiops/projects/Payments/connections/'
type Json = Record<string, unknown>

/** Per type: a value the schema refuses (and the field it is reported on), a new target. */
const CASES: Record<string, { wrong: [string, unknown, string?]; target?: [string, unknown] }> = {
  activeMq: {
    wrong: ['destinationType', 'MAILBOX'],
    target: ['brokerURL', 'tcp://evil.example.net:61616'],
  },
  database: {
    wrong: ['dbType', 'ACCESS'],
    target: ['jdbcUrl', 'jdbc:postgresql://evil.example.net:5432/mydb'],
  },
  elasticsearch: {
    wrong: ['encryptCommunicationType', 'PLAIN'],
    target: ['elasticHostList', [{ scheme: 'https', host: 'evil.example.net', port: 9200 }]],
  },
  email: { wrong: ['port', 'smtp'], target: ['host', 'evil.example.net'] },
  ftp: { wrong: ['protocol', 'SCP'], target: ['host', 'evil.example.net'] },
  graylog: { wrong: ['transportType', 'SCTP'] },
  kafka: { wrong: ['protocolTypes', ['TLS_9'], 'protocolTypes.0'] },
  ldap: { wrong: ['searchScope', 'DEEP'], target: ['serverAddress', 'ldaps://evil.example.net'] },
  'linux-script': { wrong: ['sshPort', 70_000], target: ['hostName', 'evil.example.net'] },
  logback: { wrong: ['maxFileSize', 0] },
  rabbitMq: {
    wrong: ['basicPropertiesDeliveryMode', 3],
    target: ['hostPortList', [{ host: 'evil.example.net', port: 5672 }]],
  },
  snmp: { wrong: ['version', 'V4'], target: ['connectionString', 'udp:10.6.6.6/162'] },
  syslog: {
    wrong: ['syslogFacility', 'LOCAL9'],
    target: ['syslogServerHostname', 'evil.example.net'],
  },
  webhook: { wrong: ['httpMethod', 'FETCH'], target: ['fullUrl', 'https://evil.example.net/hook'] },
}

const typeOf = (body: Json) =>
  body.type === 'READ_WRITE' || body.type === 'READ' ? 'elasticsearch' : (body.type as string)

/** The type's first create example that sets a secret (or its first, when none does). */
function baseOf(type: string): Json {
  const bodies = EXAMPLES.filter((e) => e.method === 'POST')
    .map((e) => JSON.parse(e.body) as Json)
    .filter((b) => typeOf(b) === type)
    .map((b): Json => ({ ...b, type, name: `rule-${type}` }))
  const withSecret = bodies.find(
    (b) =>
      (SECRET_FIELDS[type] ?? []).some((f) => typeof b[f] === 'string') ||
      (Array.isArray(b.headerList) && b.headerList.length > 0),
  )
  return structuredClone(withSecret ?? (bodies[0] as Json))
}

/** The body with every secret it holds sent back as the mask. */
function masked(body: Json): Json {
  const next = structuredClone(body)
  for (const f of SECRET_FIELDS[typeOf(body)] ?? []) if (typeof next[f] === 'string') next[f] = MASK
  if (Array.isArray(next.headerList)) {
    next.headerList = next.headerList.map((h: Json) => ({ ...h, value: MASK }))
  }
  return next
}

const fields = (res: { json(): { validation_errors?: { field: string }[] } }) =>
  (res.json().validation_errors ?? []).map((v) => v.field)

describe.each(dialects())('the documented connection rules (%s)', (dialect) => {
  let w: SecurityWorld
  beforeAll(async () => {
    w = await buildSecurityWorld(dialect)
  })
  afterAll(() => w.ctx.close())

  const put = (name: string, body: Json) => w.call('PUT', `${URL}${name}/`, w.security, body)

  it.each(Object.entries(CASES))(
    '%s: an unknown field or a wrong value is a 400 naming it',
    async (type, c) => {
      const base = baseOf(type)
      const post = (body: Json) => w.call('POST', `${URL}${base.name}/`, w.security, body)
      const extra = await post({ ...base, colour: 'red' })
      expect(extra.statusCode, extra.body).toBe(400)
      expect(fields(extra)).toEqual(['colour'])
      const [field, value, reported] = c.wrong
      const wrong = await post({ ...base, [field]: value })
      expect(wrong.statusCode, wrong.body).toBe(400)
      expect(fields(wrong)).toContain(reported ?? field)
    },
  )

  it('names the allowed values of an enum', async () => {
    const res = await w.call('POST', `${URL}x/`, w.security, {
      ...baseOf('ftp'),
      name: 'x',
      protocol: 'SCP',
    })
    expect(res.json().validation_errors).toContainEqual({
      field: 'protocol',
      message: 'must be equal to one of the allowed values: FTP, SFTP, FTPS',
    })
  })

  it('takes file contents with line breaks (PEM), but no control characters in plain text', async () => {
    const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n'
    const base = { ...baseOf('graylog'), name: 'pem', tlsTrustCertChainFile: pem }
    const res = await w.call('POST', `${URL}pem/`, w.security, base)
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json().connection.tlsTrustCertChainFile).toBe(pem)
    const bad = await w.call('PUT', `${URL}pem/`, w.security, {
      ...base,
      tlsTrustCertChainFileName: 'a\nb',
    })
    expect(fields(bad)).toEqual(['tlsTrustCertChainFileName'])
  })

  it('refuses an unknown type, listing the known ones', async () => {
    const res = await w.call('POST', `${URL}genie/`, w.security, {
      type: 'ops-genie',
      name: 'genie',
    })
    expect(res.statusCode).toBe(400)
    const [error] = res.json().validation_errors
    expect(error.field).toBe('type')
    for (const type of Object.keys(CASES)) expect(error.message).toContain(type)
  })

  it.each(Object.entries(CASES).filter(([, c]) => c.target))(
    '%s: keeps a secret sent masked or left out, and wants it again for a new target',
    async (type, c) => {
      const base = baseOf(type)
      const name = base.name as string
      const created = await w.call('POST', `${URL}${name}/`, w.security, base)
      expect(created.statusCode, created.body).toBe(200)
      const sealed = await openedSecrets(w, name)
      expect(sealed, 'the example sets a secret').not.toBeNull()
      expect((await put(name, { ...masked(base), description: 'masked' })).statusCode).toBe(200)
      const omitted = masked(base)
      for (const f of SECRET_FIELDS[type] ?? []) delete omitted[f]
      expect((await put(name, { ...omitted, description: 'omitted' })).statusCode).toBe(200)
      expect(await openedSecrets(w, name)).toEqual(sealed)

      const [field, value] = c.target as [string, unknown]
      for (const body of [masked(base), omitted]) {
        if (body === omitted && (SECRET_FIELDS[type] ?? []).length === 0) continue
        const moved = await put(name, { ...body, [field]: value })
        expect(moved.statusCode, moved.body).toBe(400)
        expect(moved.json().validation_errors[0].message).toContain(`target changed (${field}`)
      }
      expect(await openedSecrets(w, name)).toEqual(sealed)
      expect((await put(name, { ...base, [field]: value })).statusCode).toBe(200)
      expect((await w.call('DELETE', `${URL}${name}/`, w.security)).statusCode).toBe(200)
    },
  )

  it('renames on update, and refuses a create whose body names another connection', async () => {
    const base = { ...baseOf('linux-script'), name: 'old-connection-name' }
    expect((await w.call('POST', `${URL}old-connection-name/`, w.security, base)).statusCode).toBe(
      200,
    )
    const renamed = await put('old-connection-name', {
      ...masked(base),
      name: 'new-connection-name',
    })
    expect(renamed.statusCode, renamed.body).toBe(200)
    expect(renamed.json().connection.name).toBe('new-connection-name')
    expect((await w.call('GET', `${URL}old-connection-name/`, w.security)).statusCode).toBe(404)
    const other = await w.call('POST', `${URL}one/`, w.security, { ...base, name: 'two' })
    expect(other.statusCode).toBe(400)
    expect(fields(other)).toEqual(['name'])
    const sameIgnoringCase = await w.call('POST', `${URL}OLD-connection-name/`, w.security, base)
    expect(sameIgnoringCase.statusCode, sameIgnoringCase.body).toBe(200)
  })

  it('lets every member read (secrets masked), as the wire contract says, and only ROLE_API_SECURITY write', async () => {
    for (const url of [URL, `${URL}new-connection-name/`]) {
      const res = await w.call('GET', url, w.developer)
      expect(res.statusCode, url).toBe(200)
    }
    const write = await w.call('DELETE', `${URL}new-connection-name/`, w.developer)
    expect(write.statusCode).toBe(403)
    expect(write.json().error_description).toContain('ROLE_API_SECURITY')
  })
})
