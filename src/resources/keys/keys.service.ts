import { randomUUID } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { AuditSink } from '../../audit/audit.recorder.ts'
import type { Clock } from '../../clock.ts'
import type { CryptoKeyRow, Database, EnvironmentRow, ProjectRow } from '../../db/schema.ts'
import { isUniqueViolation } from '../../db/types.ts'
import { errors } from '../../errors.ts'
import { type ListOrder, type ListQueryInput, pageInSql } from '../../http/lists.ts'
import { authorizeInProject, type Principal } from '../../identity/policy/permissions.ts'
import { MASK, seal, unseal } from '../../sealed.ts'
import { type DeploymentResult, inEffectEverywhere } from '../environments/in-effect.ts'
import { environmentNames, resolveEnvironments } from './environment-entries.ts'
import {
  checkPair,
  type KeyType,
  privatePem,
  publicBase64,
  publicPem,
  readPrivateKey,
  readPublicKey,
} from './keys.material.ts'
import * as repo from './keys.repository.ts'

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

const entriesOf = (row: CryptoKeyRow) => JSON.parse(row.environments) as StoredEntry[]

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

export async function requireKey(deps: Pick<KeysDeps, 'db'>, project: ProjectRow, name: string) {
  const row = await repo.findByName(deps.db, 'crypto_keys', project.id, name)
  if (!row) throw errors.notFound(`Key '${name}' in project '${project.name}'`)
  return row
}

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

const duplicate = (name: string, project: ProjectRow) =>
  errors.duplicateName(`Key '${name}' in project '${project.name}'`)

const ORDER: ListOrder = {
  sortable: { name: 'name', createdAt: 'created_at' },
  defaultSort: 'name',
}

export async function listKeys(
  deps: Pick<KeysDeps, 'db'>,
  principal: Principal,
  projectName: string,
  query: ListQueryInput,
) {
  const project = await authorizeInProject(deps, principal, 'keyMaterial.read', projectName)
  const byId = await environmentNames(deps.db, project)
  const base = repo.ofProject(deps.db, 'crypto_keys', project.id)
  return pageInSql(deps.db, base, query, ORDER, (row) => view(row as CryptoKeyRow, project, byId))
}

export async function getKey(
  deps: Pick<KeysDeps, 'db'>,
  principal: Principal,
  projectName: string,
  name: string,
) {
  const project = await authorizeInProject(deps, principal, 'keyMaterial.read', projectName)
  const row = await requireKey(deps, project, name)
  return view(row, project, await environmentNames(deps.db, project))
}

export async function createKey(
  deps: KeysDeps,
  principal: Principal,
  projectName: string,
  input: KeyInput,
): Promise<DeploymentResult> {
  const project = await authorizeInProject(deps, principal, 'keyMaterial.write', projectName)
  if (await repo.findByName(deps.db, 'crypto_keys', project.id, input.name)) {
    throw duplicate(input.name, project)
  }
  const id = randomUUID()
  const { entries, environments } = await storedEntries(deps, project, id, input, [])
  const now = deps.clock.now().toISOString()
  try {
    await repo.insert(deps.db, 'crypto_keys', {
      id,
      project_id: project.id,
      name: input.name,
      description: input.description ?? '',
      key_type: input.keyType,
      environments: JSON.stringify(entries),
      created_at: now,
      updated_at: now,
    })
  } catch (error) {
    if (isUniqueViolation(error)) throw duplicate(input.name, project)
    throw error
  }
  deps.audit.record('key.created', { project: project.name, key: input.name })
  return inEffectEverywhere(environments)
}

/** Replaces the key; the body's name may rename it. */
export async function updateKey(
  deps: KeysDeps,
  principal: Principal,
  projectName: string,
  name: string,
  input: KeyInput,
): Promise<DeploymentResult> {
  const project = await authorizeInProject(deps, principal, 'keyMaterial.write', projectName)
  const row = await requireKey(deps, project, name)
  const { entries, environments } = await storedEntries(
    deps,
    project,
    row.id,
    input,
    entriesOf(row),
  )
  try {
    await repo.update(deps.db, 'crypto_keys', row.id, {
      name: input.name,
      description: input.description ?? '',
      key_type: input.keyType,
      environments: JSON.stringify(entries),
      updated_at: deps.clock.now().toISOString(),
    })
  } catch (error) {
    if (isUniqueViolation(error)) throw duplicate(input.name, project)
    throw error
  }
  deps.audit.record('key.updated', { project: project.name, key: input.name })
  return inEffectEverywhere(environments)
}

export async function deleteKey(
  deps: KeysDeps,
  principal: Principal,
  projectName: string,
  name: string,
): Promise<DeploymentResult> {
  const project = await authorizeInProject(deps, principal, 'keyMaterial.write', projectName)
  const row = await requireKey(deps, project, name)
  const byId = await environmentNames(deps.db, project)
  await repo.remove(deps.db, 'crypto_keys', row.id)
  deps.audit.record('key.deleted', { project: project.name, key: name })
  const environments = entriesOf(row).flatMap((e) => byId.get(e.environmentId) ?? [])
  return inEffectEverywhere(environments, true)
}
