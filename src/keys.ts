import { hkdfSync, randomBytes } from 'node:crypto'
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { type Config, decodeSecret } from './config.ts'

/** Keys derived from one master secret; each purpose gets its own, so none is reused. */
export interface TokenKey {
  /** Published in every token header; derived from the secret, so it names it without revealing it. */
  readonly kid: string
  readonly signing: Buffer
  /** Keys the stored token hash, so a database dump alone cannot confirm a guessed token. */
  readonly pepper: Buffer
}

export interface KeyRing {
  /** Signs new tokens. */
  readonly current: TokenKey
  /** Every key that still verifies: the current one and those named as previous. */
  readonly byKid: ReadonlyMap<string, TokenKey>
  /** AES-256-GCM key for secrets at rest. */
  readonly atRest: Buffer
  /** The current at-rest key first, then those of former master secrets, for opening. */
  readonly atRestKeys: readonly Buffer[]
  /** Signs console CSRF tokens. */
  readonly csrf: Buffer
  /**
   * Keys the audit log's hash of a username no user has (often a password typed in the
   * wrong field), so a database dump alone cannot test guesses against it.
   */
  readonly auditUsername: Buffer
  /** Signs device cookies (see identity/sessions/trusted-clients.ts). */
  readonly device: Buffer
}

export const KID_PREFIX = 'apiops-'

function derive(master: Buffer, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', master, 'apiops-v1', purpose, 32))
}

function tokenKey(master: Buffer): TokenKey {
  const fingerprint = derive(master, 'kid').toString('base64url').slice(0, 8)
  return {
    kid: `${KID_PREFIX}${fingerprint}`,
    signing: derive(master, 'jwt-hs256'),
    pepper: derive(master, 'token-hash-pepper'),
  }
}

export function buildKeyRing(master: Buffer, previous: readonly Buffer[] = []): KeyRing {
  const current = tokenKey(master)
  const byKid = new Map<string, TokenKey>([[current.kid, current]])
  for (const old of previous) {
    const key = tokenKey(old)
    if (!byKid.has(key.kid)) byKid.set(key.kid, key)
  }
  return {
    current,
    byKid,
    atRest: derive(master, 'at-rest-aes-256-gcm'),
    atRestKeys: [master, ...previous].map((secret) => derive(secret, 'at-rest-aes-256-gcm')),
    csrf: derive(master, 'csrf'),
    auditUsername: derive(master, 'audit-username-hash'),
    device: derive(master, 'device-cookie'),
  }
}

export const KEY_FILE = 'secret.key'

/**
 * The master secret: from config when given (required for a cluster, where every node
 * must share it), else from a key file created on first start, readable by its owner only.
 */
export function loadMasterSecret(config: Config): {
  secret: Buffer
  createdKeyFile: string | null
} {
  if (config.secretKey) return { secret: config.secretKey, createdKeyFile: null }
  const path = join(config.dataDir, KEY_FILE)
  try {
    return { secret: decodeSecret(readFileSync(path, 'utf8')), createdKeyFile: null }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
  }
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 })
  const secret = randomBytes(32)
  // 'wx' fails if another process created it meanwhile; then we read theirs.
  try {
    writeFileSync(path, `${secret.toString('base64')}\n`, { mode: 0o600, flag: 'wx' })
    chmodSync(path, 0o600)
    return { secret, createdKeyFile: path }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    return { secret: decodeSecret(readFileSync(path, 'utf8')), createdKeyFile: null }
  }
}
