import type { Kysely } from 'kysely'
import type { AuditSink } from '../../audit/audit.recorder.ts'
import type { Clock } from '../../clock.ts'
import type { CryptoKeyRow, Database, EnvironmentRow, ProjectRow } from '../../db/schema.ts'
import { errors } from '../../errors.ts'
import { MASK, seal, unseal } from '../../sealed.ts'
import { resolveEnvironments } from './environment-entries.ts'
import {
  checkPair,
  type KeyType,
  privatePem,
  publicBase64,
  publicPem,
  readPrivateKey,
  readPublicKey,
} from './keys.material.ts'
import { entriesOfRow, type PerEnvironmentKind, requireNamed } from './per-environment.ts'

export interface KeysDeps {
  db: Kysely<Database>
  clock: Clock
  /** AES-256-GCM key for the sealed private keys (see sealed.ts). */
  atRestKey: Buffer
  audit: AuditSink
}

export interface KeyInput {
  name: string
  description?: string | undefined
  keyType: KeyType
  cryptoKeyInfoEnvironmentList: {
    environmentName: string
    publicKey?: string | null | undefined
    privateKey?: string | null | undefined
  }[]
}

interface StoredEntry {
  environmentId: string
  publicKey: string | null
  privateKey: string | null
}

const LIST = 'cryptoKeyInfoEnvironmentList'

/** Binds a sealed private key to its key, environment and column. */
export const privateKeyContext = (keyId: string, environmentId: string) =>
  `crypto_keys:${keyId}:${environmentId}:private_key`

const entriesOf = (row: CryptoKeyRow) => entriesOfRow<StoredEntry>(row)

function view(row: CryptoKeyRow, project: ProjectRow, byId: Map<string, EnvironmentRow>) {
  return {
    name: row.name,
    description: row.description,
    projectId: project.id,
    keyType: row.key_type as KeyType,
    cryptoKeyInfoEnvironmentList: entriesOf(row).flatMap((e) => {
      const environment = byId.get(e.environmentId)
      if (!environment) return []
      return [
        {
          environmentName: environment.name,
          publicKey: e.publicKey === null ? null : publicBase64(e.publicKey),
          privateKey: e.privateKey === null ? null : (MASK as typeof MASK),
        },
      ]
    }),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }
}

/**
 * Reads and checks every entry; a private key of "MASK" keeps what `previous` holds for
 * that environment. Public keys are derived from private ones when only those come.
 */
async function storedEntries(
  deps: KeysDeps,
  project: ProjectRow,
  id: string,
  input: KeyInput,
  previous: StoredEntry[],
): Promise<{ entries: StoredEntry[]; environments: EnvironmentRow[] }> {
  const list = input.cryptoKeyInfoEnvironmentList
  const environments = await resolveEnvironments(
    deps.db,
    project,
    list.map((e) => e.environmentName),
    (i) => `${LIST}[${i}].environmentName`,
  )
  const entries = list.map((entry, i): StoredEntry => {
    const environmentId = (environments[i] as EnvironmentRow).id
    const field = (name: string) => `${LIST}[${i}].${name}`
    const publicKey =
      entry.publicKey == null
        ? null
        : readPublicKey(entry.publicKey, input.keyType, field('publicKey'))
    if (entry.privateKey === MASK) {
      const kept = previous.find((p) => p.environmentId === environmentId)?.privateKey
      if (!kept) {
        throw errors.validationFailed([
          {
            field: field('privateKey'),
            message: `is "${MASK}" but no private key is stored for this environment`,
          },
        ])
      }
      if (!publicKey)
        throw errors.validationFailed([
          { field: field('publicKey'), message: 'is required when the private key is kept' },
        ])
      return { environmentId, publicKey: publicPem(publicKey), privateKey: kept }
    }
    const privateKey =
      entry.privateKey == null
        ? null
        : readPrivateKey(entry.privateKey, input.keyType, field('privateKey'))
    if (!publicKey && !privateKey) {
      throw errors.validationFailed([
        { field: field('publicKey'), message: 'or privateKey is required' },
      ])
    }
    if (publicKey && privateKey) checkPair(publicKey, privateKey, field('privateKey'))
    return {
      environmentId,
      publicKey: publicPem((publicKey ?? privateKey) as NonNullable<typeof publicKey>),
      privateKey:
        privateKey === null
          ? null
          : seal(deps.atRestKey, privatePem(privateKey), privateKeyContext(id, environmentId)),
    }
  })
  return { entries, environments }
}

type KeyView = ReturnType<typeof view>

/** Keys' CRUD (per-environment.ts, routes in per-environment.routes.ts). */
export const KEYS = {
  table: 'crypto_keys',
  label: 'Key',
  record: (audit, change, project, key) => audit.record(`key.${change}`, { project, key }),
  view,
  entries: storedEntries,
  columns: (input) => ({ key_type: input.keyType }),
} as const satisfies PerEnvironmentKind<
  'crypto_keys',
  CryptoKeyRow,
  KeyInput,
  StoredEntry,
  KeyView,
  KeysDeps
>

export const requireKey = (deps: Pick<KeysDeps, 'db'>, project: ProjectRow, name: string) =>
  requireNamed(KEYS, deps, project, name)

/**
 * One environment's entry of a stored key, for a JWK made from it; undefined when the
 * key has none there. The private key is unsealed only when asked for.
 */
export function keyEntryOf(keys: readonly Buffer[], row: CryptoKeyRow, environmentId: string) {
  const entry = entriesOf(row).find((e) => e.environmentId === environmentId)
  if (!entry) return undefined
  const sealed = entry.privateKey
  return {
    /** SPKI PEM (always stored: derived from the private key when only that came). */
    publicPem: entry.publicKey,
    hasPrivate: sealed !== null,
    /** PKCS#8 PEM; null when only the public half is stored. */
    privatePem: () =>
      sealed === null ? null : unseal(keys, sealed, privateKeyContext(row.id, environmentId)),
  }
}
