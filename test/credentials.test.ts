import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { errors } from '../src/errors.ts'
import { passwordContext } from '../src/resources/credentials/credentials.service.ts'
import { MASK, unseal } from '../src/sealed.ts'
import { buildSecurityWorld, type SecurityWorld } from './fixtures/security-objects.ts'
import { dialects } from './helpers.ts'

const URL = '/apiops/projects/Payments/credentials/'
const FIRST_PASSWORD = 'Consumer-Pass-91ac'
const SECOND_PASSWORD = 'Consumer-Pass-rotated-5e'
const OTHER_PASSWORD = 'Another-Consumer-77'

const credential = (username: string, fields: Record<string, unknown> = {}) => ({
  username,
  email: `${username}@example.com`,
  fullName: 'Checkout Service',
  password: FIRST_PASSWORD,
  ...fields,
})

describe.each(dialects())('credentials (%s)', (dialect) => {
  let w: SecurityWorld

  beforeAll(async () => {
    w = await buildSecurityWorld(dialect)
  })
  afterAll(() => w.ctx.close())

  const row = (username: string) =>
    w.ctx.store.db
      .selectFrom('credentials')
      .innerJoin('projects', 'projects.id', 'credentials.project_id')
      .selectAll('credentials')
      .where('projects.name', '=', 'Payments')
      .where('credentials.username', '=', username)
      .executeTakeFirstOrThrow()
  const storedPassword = async (username: string) => {
    const r = await row(username)
    return unseal(w.ctx.services.atRestKey, r.password, passwordContext(r.id))
  }
  const fields = (res: { json(): { validation_errors?: { field: string }[] } }) =>
    (res.json().validation_errors ?? []).map((e) => e.field)

  it('creates a credential, answering it without its password', async () => {
    const res = await w.call(
      'POST',
      URL,
      w.security,
      credential('checkout', {
        description: 'Checkout calls the payments API',
        ipList: ['10.0.0.0/8', '192.168.1.100', '2001:db8::/32'],
        expireDate: '2027-01-15T10:00:00+03:00',
      }),
    )
    expect(res.statusCode, res.body).toBe(200)
    // The documented envelope: success and deploymentResult, with the credential beside them.
    expect(res.json().deploymentResult).toEqual({
      success: true,
      message: 'Deployed to 1 environment',
      environmentResults: [{ environmentName: 'production', success: true, message: 'Deployed' }],
    })
    expect(res.json().credential).toEqual({
      username: 'checkout',
      email: 'checkout@example.com',
      fullName: 'Checkout Service',
      description: 'Checkout calls the payments API',
      enabled: true,
      ipList: ['10.0.0.0/8', '192.168.1.100', '2001:db8::/32'],
      roleNameList: [],
      // Stored and answered in UTC.
      expireDate: '2027-01-15T07:00:00.000Z',
      expired: false,
      password: MASK,
      createdAt: '2026-01-15T10:00:00.000Z',
      updatedAt: '2026-01-15T10:00:00.000Z',
    })
    const minimal = await w.call('POST', URL, w.admin, {
      ...credential('billing', { password: OTHER_PASSWORD }),
      enabled: false,
    })
    expect(minimal.statusCode).toBe(200)
    expect(minimal.json().credential).toMatchObject({
      description: '',
      enabled: false,
      ipList: [],
      expireDate: null,
      expired: false,
    })
  })

  it('lists by username, pages and sorts; members without the role may read', async () => {
    await w.call('POST', URL, w.security, credential('audit', { fullName: 'Zed Auditor' }))
    const names = async (query: string) =>
      (await w.call('GET', `${URL}${query}`, w.developer))
        .json()
        .resultList.map((c: { username: string }) => c.username)
    expect(await names('')).toEqual(['audit', 'billing', 'checkout'])
    expect(await names('?sort=fullName,desc')).toEqual(['audit', 'billing', 'checkout'])
    expect(await names('?sort=expireDate,desc&size=1')).toEqual(['checkout'])
    expect(await names('?page=1&size=2')).toEqual(['checkout'])
    const one = await w.call('GET', `${URL}checkout/`, w.developer)
    expect(one.statusCode).toBe(200)
    expect(one.json().password).toBe(MASK)
    expect((await w.call('GET', `${URL}checkout`, w.developer)).statusCode).toBe(200)
    const missing = await w.call('GET', `${URL}nobody/`, w.developer)
    expect(missing.json()).toEqual(
      errors.notFound("Credential 'nobody' in project 'Payments'").toJSON(),
    )
  })

  it('reports a credential as expired once the clock passes its expiry', async () => {
    w.ctx.clock.set('2027-01-15T07:00:00.000Z')
    try {
      expect((await w.call('GET', `${URL}checkout/`, w.security)).json().expired).toBe(true)
    } finally {
      w.ctx.clock.set('2026-01-15T10:00:00.000Z')
    }
    expect((await w.call('GET', `${URL}checkout/`, w.security)).json().expired).toBe(false)
  })

  it('refuses writes to members without ROLE_API_SECURITY, naming the role', async () => {
    for (const [method, url, body] of [
      ['POST', URL, credential('dev-made')],
      ['PUT', `${URL}checkout/`, credential('checkout', { password: undefined })],
      ['PUT', `${URL}checkout/password/`, { password: 'whatever-long' }],
      ['DELETE', `${URL}checkout/`, undefined],
    ] as const) {
      const res = await w.call(method, url, w.developer, body)
      expect(res.statusCode, `${method} ${url}`).toBe(403)
      expect(res.json()).toEqual(errors.missingRole('ROLE_API_SECURITY').toJSON())
    }
  })

  it('answers 404 to non-members exactly as for a project that does not exist', async () => {
    const hidden = errors.notFound("Project 'Payments'").toJSON()
    for (const [method, url, body] of [
      ['GET', URL, undefined],
      ['GET', `${URL}checkout/`, undefined],
      ['POST', URL, credential('spy')],
      ['PUT', `${URL}checkout/`, credential('checkout', { password: undefined })],
      ['PUT', `${URL}checkout/password/`, { password: 'whatever-long' }],
      ['DELETE', `${URL}checkout/`, undefined],
    ] as const) {
      const res = await w.call(method, url, w.outsider, body)
      expect(res.statusCode, `${method} ${url}`).toBe(404)
      expect(res.json()).toEqual(hidden)
    }
    const ghost = await w.call('GET', '/apiops/projects/Ghost/credentials/', w.admin)
    expect(ghost.json()).toEqual(errors.notFound("Project 'Ghost'").toJSON())
  })

  it('refuses a duplicate username in the project with 409', async () => {
    const dup = await w.call('POST', URL, w.security, credential('checkout'))
    expect(dup.statusCode).toBe(409)
    expect(dup.json()).toEqual(
      errors.duplicateName("Credential 'checkout' in project 'Payments'").toJSON(),
    )
    // Usernames are case-sensitive, and per project.
    expect((await w.call('POST', URL, w.security, credential('Checkout'))).statusCode).toBe(200)
    const internal = '/apiops/projects/Internal/credentials/'
    expect((await w.call('POST', internal, w.outsider, credential('checkout'))).statusCode).toBe(
      200,
    )
  })

  const invalid: [string, Record<string, unknown>, string[]][] = [
    ['a short password', credential('v1', { password: 'short' }), ['password']],
    ['the mask as a password', credential('v2', { password: MASK }), ['password']],
    ['no password', credential('v3', { password: undefined }), ['password']],
    ['a bad email', credential('v4', { email: 'not-an-email' }), ['email']],
    ['an empty full name', credential('v5', { fullName: '' }), ['fullName']],
    ['a NUL in the full name', credential('v5b', { fullName: 'A\u0000B' }), ['fullName']],
    ['a space in the username', credential('has space', { email: 'a@example.com' }), ['username']],
    [
      'bad IP entries, each named by position',
      credential('v6', { ipList: ['10.0.0.0/8', 'not-an-ip', '10.0.0.0/33', '10.0.0.1/8'] }),
      ['ipList.1', 'ipList.2', 'ipList.3'],
    ],
    ['a repeated IP entry', credential('v7', { ipList: ['10.0.0.1', '10.0.0.1'] }), ['ipList']],
    [
      'an IPv4 address not in four decimal parts',
      credential('v7b', { ipList: ['127.1', '010.0.0.1'] }),
      ['ipList.0', 'ipList.1'],
    ],
    [
      'too many IP entries',
      credential('v8', { ipList: Array.from({ length: 101 }, (_, i) => `10.0.0.${i}`) }),
      ['ipList'],
    ],
    [
      'an expiry that is not a date',
      credential('v10', { expireDate: '2027-13-01' }),
      ['expireDate'],
    ],
    ['an unknown field', credential('v11', { roles: ['API_USER'] }), ['roles']],
    [
      'a role name with a space',
      credential('v11b', { roleNameList: ['API USER'] }),
      ['roleNameList.0'],
    ],
  ]
  it.each(invalid)('refuses %s with 400, naming exactly the fields', async (_, body, expected) => {
    const res = await w.call('POST', URL, w.security, body)
    expect(res.statusCode, res.body).toBe(400)
    expect(res.json().error).toBe('validation_failed')
    expect(fields(res)).toEqual(expected)
  })

  it('says exactly what is wrong with an IP entry, and stores a past expiry as expired', async () => {
    const res = await w.call(
      'POST',
      URL,
      w.security,
      credential('v12', { ipList: ['10.0.0.1/8'], expireDate: '2020-01-01T00:00:00Z' }),
    )
    expect(res.json().validation_errors).toEqual([
      {
        field: 'ipList.0',
        message: "'10.0.0.1/8' has bits set after the prefix: the range it names is 10.0.0.0/8",
      },
    ])
    // The docs' own example expires in 2024: stored as given, and read as expired.
    const past = await w.call('POST', URL, w.security, {
      ...credential('past', { expireDate: '2024-12-31T23:59:59.000Z' }),
      roleNameList: ['API_USER', 'DEVELOPER'],
      ipList: ['2001:DB8:0:0::1'],
    })
    expect(past.statusCode, past.body).toBe(200)
    expect(past.json().credential).toMatchObject({
      expired: true,
      roleNameList: ['API_USER', 'DEVELOPER'],
      ipList: ['2001:db8::1'],
    })
    await w.call('DELETE', `${URL}past/`, w.security)
  })

  it('stores the password sealed and bound to its row', async () => {
    const r = await row('checkout')
    expect(r.password.startsWith('v1.')).toBe(true)
    expect(JSON.stringify(r)).not.toContain(FIRST_PASSWORD)
    expect(await storedPassword('checkout')).toBe(FIRST_PASSWORD)
    // Another row's ciphertext does not open under this row's binding, even with the key.
    const other = await row('billing')
    expect(() => unseal(w.ctx.services.atRestKey, other.password, passwordContext(r.id))).toThrow()
    expect(() =>
      unseal(w.ctx.services.atRestKey, r.password, `connections:${r.id}:secret`),
    ).toThrow()
  })

  it('updates everything but the password, taking the mask back unchanged', async () => {
    w.ctx.clock.advance(60_000)
    const read = (await w.call('GET', `${URL}checkout/`, w.security)).json()
    const { expired: _e, createdAt: _c, updatedAt: _u, ...writable } = read
    const res = await w.call('PUT', `${URL}checkout/`, w.security, {
      ...writable,
      fullName: 'Checkout Service v2',
      ipList: ['::1'],
    })
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json().credential).toMatchObject({
      username: 'checkout',
      fullName: 'Checkout Service v2',
      ipList: ['::1'],
      expireDate: '2027-01-15T07:00:00.000Z',
      password: MASK,
      updatedAt: '2026-01-15T10:01:00.000Z',
      createdAt: '2026-01-15T10:00:00.000Z',
    })
    expect(await storedPassword('checkout')).toBe(FIRST_PASSWORD)

    // PUT replaces: what is left out goes back to its default, and the password stays.
    const bare = await w.call('PUT', `${URL}checkout/`, w.security, {
      email: 'ops@example.com',
      fullName: 'Checkout',
    })
    expect(bare.json().credential).toMatchObject({
      email: 'ops@example.com',
      description: '',
      enabled: true,
      ipList: [],
      expireDate: null,
    })
    expect(await storedPassword('checkout')).toBe(FIRST_PASSWORD)
  })

  it('keeps a stored expiry that has since passed', async () => {
    await w.call(
      'POST',
      URL,
      w.security,
      credential('temp', { expireDate: '2026-02-01T00:00:00Z' }),
    )
    w.ctx.clock.set('2026-03-01T00:00:00.000Z')
    try {
      const body = credential('temp', { password: MASK, expireDate: '2026-02-01T00:00:00.000Z' })
      const kept = await w.call('PUT', `${URL}temp/`, w.security, body)
      expect(kept.statusCode, kept.body).toBe(200)
      expect(kept.json().credential.expired).toBe(true)
    } finally {
      w.ctx.clock.set('2026-01-15T10:01:00.000Z')
    }
  })

  it('refuses a rename, a short password or a missing credential on update', async () => {
    const short = await w.call('PUT', `${URL}checkout/`, w.security, {
      ...credential('checkout'),
      password: 'short',
    })
    expect(fields(short)).toEqual(['password'])
    const renamed = await w.call('PUT', `${URL}checkout/`, w.security, {
      ...credential('renamed'),
      password: MASK,
    })
    expect(fields(renamed)).toEqual(['username'])
    const missing = await w.call('PUT', `${URL}nobody/`, w.security, {
      email: 'a@example.com',
      fullName: 'A',
    })
    expect(missing.statusCode).toBe(404)
    expect(await storedPassword('checkout')).toBe(FIRST_PASSWORD)
  })

  it("takes a new password in the docs' update (PUT on the collection, the username in the body)", async () => {
    const read = (await w.call('GET', `${URL}checkout/`, w.security)).json()
    const res = await w.call('PUT', URL, w.security, {
      email: read.email,
      fullName: read.fullName,
      description: read.description,
      username: 'checkout',
      password: OTHER_PASSWORD,
      roleNameList: ['API_USER'],
      enabled: true,
      ipList: [],
      expireDate: null,
    })
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json().credential).toMatchObject({ roleNameList: ['API_USER'], password: MASK })
    expect(await storedPassword('checkout')).toBe(OTHER_PASSWORD)
    const unknown = await w.call('PUT', URL, w.security, credential('nobody'))
    expect(unknown.statusCode).toBe(404)
    const nameless = await w.call('PUT', URL, w.security, { email: 'a@example.com', fullName: 'A' })
    expect(fields(nameless)).toEqual(['username'])
  })

  it('changes the password through its own endpoint (PATCH, as documented, or PUT .../password/)', async () => {
    const patched = await w.call('PATCH', `${URL}checkout/`, w.security, {
      password: FIRST_PASSWORD,
    })
    expect(patched.statusCode, patched.body).toBe(200)
    expect(patched.json().credential.roleNameList).toEqual(['API_USER'])
    expect(await storedPassword('checkout')).toBe(FIRST_PASSWORD)
    const res = await w.call('PUT', `${URL}checkout/password/`, w.security, {
      password: SECOND_PASSWORD,
    })
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json().credential).toMatchObject({ username: 'checkout', password: MASK })
    expect(await storedPassword('checkout')).toBe(SECOND_PASSWORD)
    expect((await row('checkout')).password).not.toContain(SECOND_PASSWORD)
    for (const [body, field] of [
      [{ password: 'short' }, 'password'],
      [{ password: MASK }, 'password'],
      [{}, 'password'],
      [{ password: 'long-enough-1', username: 'x' }, 'username'],
    ] as const) {
      const bad = await w.call('PUT', `${URL}checkout/password/`, w.security, body)
      expect(bad.statusCode, JSON.stringify(body)).toBe(400)
      expect(fields(bad)).toEqual([field])
    }
    expect(await storedPassword('checkout')).toBe(SECOND_PASSWORD)
    const missing = await w.call('PUT', `${URL}nobody/password/`, w.admin, {
      password: 'long-enough-1',
    })
    expect(missing.statusCode).toBe(404)
  })

  it('refuses a body that is not JSON with 415', async () => {
    const res = await w.inject({
      method: 'POST',
      url: URL,
      headers: { authorization: `Bearer ${w.security}`, 'content-type': 'text/plain' },
      payload: 'username=x',
    })
    expect(res.statusCode).toBe(415)
    expect(res.json().error).toBe('unsupported_media_type')
  })

  it('deletes', async () => {
    const res = await w.call('DELETE', `${URL}billing/`, w.security)
    expect(res.json()).toEqual({
      status: 'SUCCESS',
      success: true,
      deploymentResult: {
        success: true,
        message: 'Undeployed from 1 environment',
        environmentResults: [
          { environmentName: 'production', success: true, message: 'Undeployed' },
        ],
      },
    })
    expect((await w.call('DELETE', `${URL}billing/`, w.security)).statusCode).toBe(404)
    expect((await w.call('GET', URL, w.security)).json().resultCount).toBe(4)
  })

  it('never answered or logged a password', () => {
    const everything = w.answers.join('\n')
    expect(everything).toContain('checkout')
    const log = w.logLines.join('')
    expect(log).toContain('/credentials/')
    for (const secret of [FIRST_PASSWORD, SECOND_PASSWORD, OTHER_PASSWORD]) {
      expect(everything).not.toContain(secret)
      expect(log).not.toContain(secret)
    }
  })
})
