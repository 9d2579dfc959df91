import { createHmac, randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type ApiError, errors } from '../src/errors.ts'
import { MAX_AUTHORIZATION_LENGTH } from '../src/identity/bearer/bearer-check.ts'
import { MAX_TOKEN_LENGTH, newTokenId } from '../src/identity/tokens/token-format.ts'
import { bearer, buildTestApp, dialects, makeUser, type TestContext, tokenFor } from './helpers.ts'

/**
 * Forged, tampered and hand-made tokens, each sent over HTTP to a real database, each
 * answered 401 with the description of the one rule that rejects it. Tokens made with
 * the real signing key prove that a later rule (header, claims, time, database) holds
 * on its own, not only because the signature failed first.
 */

const CHALLENGE = 'Bearer realm="apiops", error="invalid_token"'
const HELLO = '/apiops/test/hello/John'
/** Forged requests come from another address, so any that reached the usage recorder would be written at once. */
const FORGER_IP = '203.0.113.66'

type Json = Record<string, unknown>
type Signer = (input: string) => string

/** Everything a case needs to build its token: the issued one, its parts, the app and its keys. */
interface Fixture {
  ctx: TestContext
  /** The untampered token and its three parts, as issued. */
  valid: string
  h: string
  p: string
  s: string
  /** Its decoded header and claims, the base of every hand-made token. */
  header: Json
  claims: Json
  /** A second user, and one of their real tokens, for splicing. */
  otherUserId: string
  otherToken: string
  /** Now, in JWT seconds, by the test's frozen clock. */
  nowS(): number
}

const enc = (json: unknown) => Buffer.from(JSON.stringify(json)).toString('base64url')
const dec = (part: string) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Json
const hmac =
  (bits: 256 | 384 | 512, key: Buffer): Signer =>
  (input) =>
    createHmac(`sha${bits}`, key).update(input).digest('base64url')
const literal =
  (signature: string): Signer =>
  () =>
    signature
/** 256 bits of nothing, the size of a real signature. */
const GARBAGE_SIG = randomBytes(32).toString('base64url')

/** header.payload.signature, with the signature made by `sign` over the first two parts. */
function forge(header: unknown, payload: unknown, sign: Signer): string {
  const input = `${enc(header)}.${enc(payload)}`
  return `${input}.${sign(input)}`
}

/** The issued header and claims with some members replaced (undefined removes one), HS256-signed with the real key. */
function signed(f: Fixture, patch: { header?: Json; claims?: Json } = {}): string {
  return forge(
    { ...f.header, ...patch.header },
    { ...f.claims, ...patch.claims },
    hmac(256, f.ctx.keys.current.signing),
  )
}

/** The issued token with one character inserted at the middle of one part. */
function insertChar(f: Fixture, part: 0 | 1 | 2, char: string): string {
  const parts = [f.h, f.p, f.s]
  const target = parts[part] as string
  const mid = Math.floor(target.length / 2)
  parts[part] = `${target.slice(0, mid)}${char}${target.slice(mid)}`
  return parts.join('.')
}

interface Case {
  name: string
  token: (f: Fixture) => string
  expect: ApiError | ((f: Fixture) => ApiError)
}

const malformed = errors.tokenMalformed()
const badSignature = errors.tokenSignatureInvalid()
const unknown = errors.tokenUnknown()

const cases: Case[] = [
  // --- alg "none": never accepted, in any casing, with or without a signature
  ...['none', 'None', 'NONE', 'nOnE'].flatMap((alg): Case[] => [
    {
      name: `alg "${alg}" with an empty signature`,
      token: (f) => forge({ ...f.header, alg }, f.claims, literal('')),
      expect: malformed,
    },
    {
      name: `alg "${alg}" with the original signature`,
      token: (f) => forge({ ...f.header, alg }, f.claims, literal(f.s)),
      expect: badSignature,
    },
    {
      name: `alg "${alg}" without a kid, empty signature`,
      token: (f) => forge({ alg, typ: 'JWT' }, f.claims, literal('')),
      expect: malformed,
    },
  ]),

  // --- shape: exactly three non-empty base64url parts
  {
    name: 'stripped signature (header.payload.)',
    token: (f) => `${f.h}.${f.p}.`,
    expect: malformed,
  },
  { name: 'two segments (header.payload)', token: (f) => `${f.h}.${f.p}`, expect: malformed },
  {
    name: 'four segments (valid token plus .signature)',
    token: (f) => `${f.valid}.${f.s}`,
    expect: malformed,
  },
  {
    name: 'four segments (an empty part inserted)',
    token: (f) => `${f.h}..${f.p}.${f.s}`,
    expect: malformed,
  },
  { name: 'a trailing dot', token: (f) => `${f.valid}.`, expect: malformed },
  { name: 'a leading dot', token: (f) => `.${f.valid}`, expect: malformed },
  { name: 'a single segment (the payload)', token: (f) => f.p, expect: malformed },
  {
    name: 'a single segment (the whole token without dots)',
    token: (f) => `${f.h}${f.p}${f.s}`,
    expect: malformed,
  },
  { name: 'only dots', token: () => '..', expect: malformed },
  { name: 'empty header and payload', token: (f) => `..${f.s}`, expect: malformed },

  // --- payload changed after signing, sent with the old signature
  {
    name: 'sub changed to another user, old signature',
    token: (f) => forge(f.header, { ...f.claims, sub: f.otherUserId }, literal(f.s)),
    expect: badSignature,
  },
  {
    name: 'jti changed, old signature',
    token: (f) => forge(f.header, { ...f.claims, jti: newTokenId() }, literal(f.s)),
    expect: badSignature,
  },
  {
    name: 'exp removed, old signature',
    token: (f) => forge(f.header, { ...f.claims, exp: undefined }, literal(f.s)),
    expect: badSignature,
  },
  {
    name: 'exp extended by ten years, old signature',
    token: (f) =>
      forge(f.header, { ...f.claims, exp: (f.claims.exp as number) + 315_360_000 }, literal(f.s)),
    expect: badSignature,
  },
  {
    name: 'payload of another user’s real token, our signature',
    token: (f) => `${f.h}.${f.otherToken.split('.')[1]}.${f.s}`,
    expect: badSignature,
  },
  {
    name: 'our payload, signature of another user’s real token',
    token: (f) => `${f.h}.${f.p}.${f.otherToken.split('.')[2]}`,
    expect: badSignature,
  },
  {
    name: 'last signature character changed',
    token: (f) => `${f.h}.${f.p}.${f.s.slice(0, -2)}${f.s.at(-2) === 'A' ? 'B' : 'A'}${f.s.at(-1)}`,
    expect: badSignature,
  },

  // --- algorithms other than HS256
  {
    name: 'alg HS384, HMAC-SHA-384 with the real key',
    token: (f) =>
      forge({ ...f.header, alg: 'HS384' }, f.claims, hmac(384, f.ctx.keys.current.signing)),
    expect: badSignature,
  },
  {
    name: 'alg HS512, HMAC-SHA-512 with the real key',
    token: (f) =>
      forge({ ...f.header, alg: 'HS512' }, f.claims, hmac(512, f.ctx.keys.current.signing)),
    expect: badSignature,
  },
  {
    name: 'alg RS256, garbage signature',
    token: (f) =>
      forge(
        { ...f.header, alg: 'RS256' },
        f.claims,
        literal(randomBytes(256).toString('base64url')),
      ),
    expect: badSignature,
  },
  {
    name: 'alg ES256, garbage signature',
    token: (f) =>
      forge(
        { ...f.header, alg: 'ES256' },
        f.claims,
        literal(randomBytes(64).toString('base64url')),
      ),
    expect: badSignature,
  },
  {
    name: 'alg RS256, HMAC-SHA-256 with the real key (key confusion)',
    token: (f) => signed(f, { header: { alg: 'RS256' } }),
    expect: badSignature,
  },
  {
    name: 'alg "hs256" (lower case)',
    token: (f) => signed(f, { header: { alg: 'hs256' } }),
    expect: badSignature,
  },
  {
    name: 'alg missing',
    token: (f) => signed(f, { header: { alg: undefined } }),
    expect: badSignature,
  },

  // --- kid: only a key of the fixed key map, never a path, a query or a non-string
  ...[
    '../../etc/passwd',
    '/dev/null',
    "' OR 1=1 --",
    'apiops-x; DROP TABLE api_tokens',
    '',
    42,
    null,
    ['apiops-x'],
  ].map(
    (kid): Case => ({
      name: `kid ${JSON.stringify(kid)}, signed with the real key`,
      token: (f) => signed(f, { header: { kid } }),
      expect: badSignature,
    }),
  ),
  {
    name: 'kid of the real key in upper case',
    token: (f) => signed(f, { header: { kid: f.ctx.keys.current.kid.toUpperCase() } }),
    expect: badSignature,
  },
  {
    name: 'kid of the real key with a trailing space',
    token: (f) => signed(f, { header: { kid: `${f.ctx.keys.current.kid} ` } }),
    expect: badSignature,
  },
  {
    name: 'kid missing',
    token: (f) => signed(f, { header: { kid: undefined } }),
    expect: badSignature,
  },

  // --- header members apiops never issues, each token HMAC-signed with the real key
  ...(
    [
      ['jku', 'https://attacker.example/jwks.json'],
      ['jwk', { kty: 'oct', k: randomBytes(32).toString('base64url') }],
      ['x5u', 'https://attacker.example/cert.pem'],
      ['crit', ['exp']],
      ['x5c', [randomBytes(64).toString('base64')]],
      ['cty', 'JWT'],
    ] as const
  ).map(
    ([member, value]): Case => ({
      name: `extra header member ${member}, signed with the real key`,
      token: (f) => signed(f, { header: { [member]: value } }),
      expect: badSignature,
    }),
  ),

  // --- typ: exactly "JWT"
  {
    name: 'typ "at+jwt", signed with the real key',
    token: (f) => signed(f, { header: { typ: 'at+jwt' } }),
    expect: badSignature,
  },
  {
    name: 'typ "jwt" (lower case), signed with the real key',
    token: (f) => signed(f, { header: { typ: 'jwt' } }),
    expect: badSignature,
  },
  {
    name: 'typ missing, signed with the real key',
    token: (f) => signed(f, { header: { typ: undefined } }),
    expect: badSignature,
  },

  // --- the right kid, the wrong key
  {
    name: 'real header and claims, random 32-byte signature',
    token: (f) => forge(f.header, f.claims, literal(GARBAGE_SIG)),
    expect: badSignature,
  },
  {
    name: 'signed with a random 32-byte key under the real kid',
    token: (f) => forge(f.header, f.claims, hmac(256, randomBytes(32))),
    expect: badSignature,
  },
  {
    name: 'signed with the token-hash pepper instead of the signing key',
    token: (f) => forge(f.header, f.claims, hmac(256, f.ctx.keys.current.pepper)),
    expect: badSignature,
  },

  // --- claims, properly signed
  {
    name: 'wrong iss',
    token: (f) => signed(f, { claims: { iss: 'evil' } }),
    expect: errors.tokenClaimsInvalid('The iss claim value is not allowed'),
  },
  {
    name: 'iss of the wrong type',
    token: (f) => signed(f, { claims: { iss: 42 } }),
    expect: errors.tokenClaimsInvalid('The iss claim must be a string'),
  },
  {
    name: 'exp far outside the range of a date',
    token: (f) => signed(f, { claims: { exp: -1e20 } }),
    expect: errors.tokenClaimsInvalid('the exp claim must be a date in seconds'),
  },
  {
    name: 'exp as a string',
    token: (f) => signed(f, { claims: { exp: '1' } }),
    expect: errors.tokenClaimsInvalid('the exp claim must be a date in seconds'),
  },
  {
    name: 'missing iss',
    token: (f) => signed(f, { claims: { iss: undefined } }),
    expect: errors.tokenClaimsInvalid('The iss claim is required'),
  },
  {
    name: 'wrong aud',
    token: (f) => signed(f, { claims: { aud: 'evil' } }),
    expect: errors.tokenClaimsInvalid('The aud claim value is not allowed'),
  },
  {
    name: 'aud a list without this server',
    token: (f) => signed(f, { claims: { aud: ['evil', 'worse'] } }),
    expect: errors.tokenClaimsInvalid('None of aud claim values are allowed'),
  },
  {
    name: 'missing aud',
    token: (f) => signed(f, { claims: { aud: undefined } }),
    expect: errors.tokenClaimsInvalid('The aud claim is required'),
  },
  {
    name: 'missing sub',
    token: (f) => signed(f, { claims: { sub: undefined } }),
    expect: errors.tokenClaimsInvalid('The sub claim is required'),
  },
  {
    name: 'missing jti',
    token: (f) => signed(f, { claims: { jti: undefined } }),
    expect: errors.tokenClaimsInvalid('The jti claim is required'),
  },
  {
    name: 'jti that looks like SQL',
    token: (f) => signed(f, { claims: { jti: "' OR 1=1 --" } }),
    expect: malformed,
  },

  // --- time, properly signed
  {
    name: 'exp an hour in the past',
    token: (f) => signed(f, { claims: { exp: f.nowS() - 3600 } }),
    expect: (f) => errors.tokenExpired(new Date((f.nowS() - 3600) * 1000)),
  },
  {
    name: 'exp exactly now',
    token: (f) => signed(f, { claims: { exp: f.nowS() } }),
    expect: (f) => errors.tokenExpired(new Date(f.nowS() * 1000)),
  },
  {
    name: 'nbf 61 s in the future',
    token: (f) => signed(f, { claims: { nbf: f.nowS() + 61 } }),
    expect: errors.tokenNotYetValid(),
  },
  {
    name: 'nbf a day in the future',
    token: (f) => signed(f, { claims: { nbf: f.nowS() + 86_400 } }),
    expect: errors.tokenNotYetValid(),
  },
  {
    name: 'nbf not a number',
    token: (f) => signed(f, { claims: { nbf: 'now' } }),
    expect: errors.tokenNotYetValid(),
  },

  // --- the database: a valid signature is not enough without the row it names
  {
    name: 'jti with no row in the database',
    token: (f) => signed(f, { claims: { jti: newTokenId() } }),
    expect: unknown,
  },
  {
    name: 'sub of another user (not the row owner)',
    token: (f) => signed(f, { claims: { sub: f.otherUserId } }),
    expect: unknown,
  },
  {
    name: 'sub of no user',
    token: (f) => signed(f, { claims: { sub: newTokenId() } }),
    expect: unknown,
  },
  {
    name: 'real jti and sub, exp removed and re-signed (hash differs from the issued token)',
    token: (f) => signed(f, { claims: { exp: undefined } }),
    expect: unknown,
  },
  {
    name: 'real jti and sub, exp extended and re-signed',
    token: (f) => signed(f, { claims: { exp: (f.claims.exp as number) + 315_360_000 } }),
    expect: unknown,
  },
  {
    name: 'real jti and sub, nbf 60 s ahead (within leeway) and re-signed',
    token: (f) => signed(f, { claims: { nbf: f.nowS() + 60 } }),
    expect: unknown,
  },
  {
    name: 'real claims, header members reordered and re-signed',
    token: (f) =>
      forge(
        Object.fromEntries(Object.entries(f.header).reverse()),
        f.claims,
        hmac(256, f.ctx.keys.current.signing),
      ),
    expect: unknown,
  },
  {
    name: 'non-canonical signature encoding (same bytes, different text)',
    token: (f) => {
      // 43 base64url characters carry 258 bits for a 256-bit HMAC: the last two are padding.
      const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
      const last = alphabet.indexOf(f.s.at(-1) as string)
      return `${f.h}.${f.p}.${f.s.slice(0, -1)}${alphabet[last ^ 1]}`
    },
    expect: unknown,
  },

  // --- characters outside base64url, in each part
  ...(['+', '/', '=', '%', '%2E', 'é', '€', '\u{1F511}', '\u0000'] as const).flatMap((char) =>
    (['header', 'payload', 'signature'] as const).map(
      (partName, part): Case => ({
        name: `${JSON.stringify(char)} in the ${partName}`,
        token: (f) => insertChar(f, part as 0 | 1 | 2, char),
        expect: malformed,
      }),
    ),
  ),
  {
    name: 'standard base64 padding on the signature',
    token: (f) => `${f.valid}=`,
    expect: malformed,
  },
  ...(['header', 'payload', 'signature'] as const).flatMap((partName, part): Case[] => [
    {
      name: `a space in the ${partName}`,
      token: (f) => insertChar(f, part as 0 | 1 | 2, ' '),
      expect: errors.tokenHasSpaces(),
    },
    {
      name: `a tab in the ${partName}`,
      token: (f) => insertChar(f, part as 0 | 1 | 2, '\t'),
      expect: errors.tokenHasSpaces(),
    },
  ]),
  { name: 'a trailing space', token: (f) => `${f.valid} `, expect: errors.tokenHasSpaces() },
  {
    name: 'two tokens, space separated',
    token: (f) => `${f.valid} ${f.valid}`,
    expect: errors.tokenHasSpaces(),
  },

  // --- length: the Authorization header limit catches any token over MAX_TOKEN_LENGTH
  {
    name: `a token of ${MAX_TOKEN_LENGTH + 1} characters`,
    token: (f) => `${f.h}.${f.p}.${'A'.repeat(MAX_TOKEN_LENGTH - f.h.length - f.p.length - 1)}`,
    expect: errors.authorizationTooLong(MAX_AUTHORIZATION_LENGTH),
  },
  {
    name: 'a token of 64 KiB',
    token: (f) => `${f.valid}${'A'.repeat(65_536)}`,
    expect: errors.authorizationTooLong(MAX_AUTHORIZATION_LENGTH),
  },
  {
    name: `a token of exactly ${MAX_TOKEN_LENGTH} characters (not too long; bad signature)`,
    token: (f) => `${f.h}.${f.p}.${'A'.repeat(MAX_TOKEN_LENGTH - f.h.length - f.p.length - 2)}`,
    expect: badSignature,
  },

  // --- header or payload that is not a JSON object
  ...([[], 'x', null, 42, true] as const).map(
    (header): Case => ({
      name: `header is JSON ${JSON.stringify(header)}`,
      token: (f) => forge(header, f.claims, hmac(256, f.ctx.keys.current.signing)),
      expect: malformed,
    }),
  ),
  {
    name: 'header is not JSON',
    token: (f) => `${Buffer.from('{alg:HS256}').toString('base64url')}.${f.p}.${f.s}`,
    expect: malformed,
  },
  {
    name: 'header is not UTF-8',
    token: (f) => `${Buffer.from([0xff, 0xfe, 0xfd]).toString('base64url')}.${f.p}.${f.s}`,
    expect: malformed,
  },
  {
    name: 'header is an empty object',
    token: (f) => forge({}, f.claims, hmac(256, f.ctx.keys.current.signing)),
    expect: badSignature,
  },
  ...([[], 'x', null, 42] as const).map(
    (payload): Case => ({
      name: `payload is JSON ${JSON.stringify(payload)}, signed with the real key`,
      token: (f) => forge(f.header, payload, hmac(256, f.ctx.keys.current.signing)),
      expect: malformed,
    }),
  ),
]

describe.each(dialects())('forged tokens (%s)', (dialect) => {
  let f: Fixture
  let validId: string
  let usedAt: string

  beforeAll(async () => {
    const ctx = await buildTestApp(dialect)
    const alice = await makeUser(ctx, 'alice')
    const bob = await makeUser(ctx, 'bob')
    const expiresAt = new Date(ctx.clock.now().getTime() + 30 * 86_400_000)
    const issued = await tokenFor(ctx, alice.id, { expiresAt })
    validId = issued.id
    const [h = '', p = '', s = ''] = issued.token.split('.')
    f = {
      ctx,
      valid: issued.token,
      h,
      p,
      s,
      header: dec(h),
      claims: dec(p),
      otherUserId: bob.id,
      otherToken: (await tokenFor(ctx, bob.id)).token,
      nowS: () => Math.floor(ctx.clock.now().getTime() / 1000),
    }
  })
  afterAll(() => f?.ctx.close())

  const hello = (token: string, remoteAddress = FORGER_IP) =>
    f.ctx.app.inject({ url: HELLO, headers: bearer(token), remoteAddress })

  it('accepts the untampered token, and forge() reproduces it with the real key', async () => {
    usedAt = f.ctx.clock.now().toISOString()
    const res = await hello(f.valid, '127.0.0.1')
    expect(res.statusCode).toBe(200)
    expect(res.body).toBe('Hello John')
    // The helper makes byte-identical tokens, so a case signed with the real key is
    // refused by the rule under test and nothing else.
    expect(signed(f)).toBe(f.valid)
    expect(f.header).toEqual({ alg: 'HS256', typ: 'JWT', kid: f.ctx.keys.current.kid })
    // Forged requests come a little later, still within the usage write interval.
    f.ctx.clock.advance(10_000)
  })

  it.each(cases)('refuses $name', async ({ token, expect: expected }) => {
    const want = typeof expected === 'function' ? expected(f) : expected
    const forged = token(f)
    expect(forged).not.toBe(f.valid)
    const res = await hello(forged)
    expect(res.statusCode).toBe(401)
    expect(res.headers['www-authenticate']).toBe(CHALLENGE)
    expect(res.json()).toEqual({ error: want.code, error_description: want.description })
  })

  it('names the expiry instant for a properly signed expired token', async () => {
    const exp = f.nowS() - 3600
    const res = await hello(signed(f, { claims: { exp } }))
    expect(res.json().error).toBe('token_expired')
    expect(res.json().error_description).toContain(new Date(exp * 1000).toISOString())
  })

  it('records none of the forged requests as a use of the real token', async () => {
    await f.ctx.services.usage.flush()
    const res = await f.ctx.app.inject({
      url: '/apiops/me/tokens/',
      headers: bearer(f.valid),
      remoteAddress: '127.0.0.1',
    })
    await f.ctx.services.usage.flush()
    expect(res.statusCode).toBe(200)
    const body = res.json()
    expect(body.totalCount).toBe(1)
    expect(body.resultList).toHaveLength(1)
    expect(body.resultList[0]).toMatchObject({
      id: validId,
      status: 'active',
      lastUsedAt: usedAt,
      lastUsedFrom: '127.0.0.1',
      revokedAt: null,
    })
    // And the real token still works after all that.
    expect((await hello(f.valid, '127.0.0.1')).body).toBe('Hello John')
  })
})
