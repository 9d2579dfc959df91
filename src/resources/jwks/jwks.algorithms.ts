import { errors } from '../../errors.ts'

/*
 * Which JOSE algorithm goes with which key. The pages spell algorithms two ways: the
 * create and parse pages use the JOSE names (RS256, RSA-OAEP-256, ECDH-ES+A128KW), the
 * generate page enum-style ones (RSA256, RSA_OAEP_256, ECDH_ES_A128KW). Both are
 * accepted everywhere and stored as the JOSE name, the one a JWK's "alg" carries.
 */

export type KeyType = 'RSA' | 'EC' | 'OCT' | 'OKP'
export type UseType = 'SIGNATURE' | 'ENCRYPTION'

const ECDH = [
  'ECDH-ES',
  'ECDH-ES+A128KW',
  'ECDH-ES+A192KW',
  'ECDH-ES+A256KW',
  'ECDH-1PU',
  'ECDH-1PU+A128KW',
  'ECDH-1PU+A192KW',
  'ECDH-1PU+A256KW',
]

export const ALGORITHMS: Record<KeyType, Record<UseType, readonly string[]>> = {
  RSA: {
    SIGNATURE: ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'],
    ENCRYPTION: ['RSA1_5', 'RSA-OAEP', 'RSA-OAEP-256', 'RSA-OAEP-384', 'RSA-OAEP-512'],
  },
  EC: { SIGNATURE: ['ES256', 'ES384', 'ES512', 'ES256K'], ENCRYPTION: ECDH },
  OCT: {
    SIGNATURE: ['HS256', 'HS384', 'HS512'],
    ENCRYPTION: [
      'A128KW',
      'A192KW',
      'A256KW',
      'A128GCMKW',
      'A192GCMKW',
      'A256GCMKW',
      'dir',
      'PBES2-HS256+A128KW',
      'PBES2-HS384+A192KW',
      'PBES2-HS512+A256KW',
    ],
  },
  OKP: { SIGNATURE: ['EdDSA'], ENCRYPTION: ECDH },
}

/** The generate page's spellings that differ from the JOSE names. */
const ENUM_SPELLING: Record<string, string> = {
  RSA256: 'RS256',
  RSA384: 'RS384',
  RSA512: 'RS512',
  RSA_OAEP: 'RSA-OAEP',
  RSA_OAEP_256: 'RSA-OAEP-256',
  RSA_OAEP_384: 'RSA-OAEP-384',
  RSA_OAEP_512: 'RSA-OAEP-512',
  DIR: 'dir',
  PBES2_HS256_A128KW: 'PBES2-HS256+A128KW',
  PBES2_HS384_A192KW: 'PBES2-HS384+A192KW',
  PBES2_HS512_A256KW: 'PBES2-HS512+A256KW',
}

/** The JOSE name of an algorithm in either spelling (ECDH_ES_A128KW → ECDH-ES+A128KW). */
export function joseName(algorithm: string): string {
  const mapped = ENUM_SPELLING[algorithm]
  if (mapped) return mapped
  const ecdh = /^ECDH_(ES|1PU)(?:_(A\d{3}KW))?$/.exec(algorithm)
  if (ecdh) return `ECDH-${ecdh[1]}${ecdh[2] ? `+${ecdh[2]}` : ''}`
  return algorithm
}

const CURVE_OF_ES: Record<string, string> = {
  ES256: 'P-256',
  ES384: 'P-384',
  ES512: 'P-521',
  ES256K: 'secp256k1',
}

/** What a key needs to be used with an algorithm, beyond its type. */
export interface KeyFacts {
  type: KeyType
  /** EC and OKP: the JWK's crv. */
  crv?: string | undefined
  /** RSA: modulus bits; OCT: key bits. */
  bits?: number | undefined
}

function sizeProblem(algorithm: string, key: KeyFacts): string | undefined {
  if (key.type === 'EC' && CURVE_OF_ES[algorithm] && CURVE_OF_ES[algorithm] !== key.crv) {
    return `${algorithm} needs a ${CURVE_OF_ES[algorithm]} key, and this one is ${key.crv}`
  }
  if (key.type === 'OKP') {
    const wanted = algorithm === 'EdDSA' ? 'Ed25519' : 'X25519'
    if (key.crv !== wanted) return `${algorithm} needs an ${wanted} key, and this one is ${key.crv}`
  }
  if (key.type !== 'OCT' || key.bits === undefined) return undefined
  const hs = /^HS(\d{3})$/.exec(algorithm)
  if (hs && key.bits < Number(hs[1])) {
    return `${algorithm} needs a key of at least ${hs[1]} bits, and this one has ${key.bits}`
  }
  const aes = /^A(\d{3})(?:GCM)?KW$/.exec(algorithm)
  if (aes && key.bits !== Number(aes[1])) {
    return `${algorithm} needs a key of exactly ${aes[1]} bits, and this one has ${key.bits}`
  }
  return undefined
}

/**
 * The JOSE name of `algorithm` if it suits the key and use; else a 400 naming `field`
 * that lists what would.
 */
export function checkAlgorithm(
  field: string,
  algorithm: string,
  use: UseType,
  key: KeyFacts,
): string {
  const name = joseName(algorithm)
  const allowed = ALGORITHMS[key.type][use]
  if (!allowed.includes(name)) {
    throw errors.validationFailed([
      {
        field,
        message: `'${algorithm}' does not fit a ${key.type} key used for ${use}; one of: ${allowed.join(', ')}`,
      },
    ])
  }
  const problem = sizeProblem(name, key)
  if (problem) throw errors.validationFailed([{ field, message: problem }])
  return name
}

/** The JWK "use" member for a use type. */
export const jwkUse = (use: UseType): 'sig' | 'enc' => (use === 'SIGNATURE' ? 'sig' : 'enc')
