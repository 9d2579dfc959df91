import { randomUUID } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { AuditSink } from '../../audit/audit.recorder.ts'
import type { Clock } from '../../clock.ts'
import type { Database, EnvironmentRow, KeystoreRow, ProjectRow } from '../../db/schema.ts'
import { isUniqueViolation } from '../../db/types.ts'
import { errors } from '../../errors.ts'
import { type ListOrder, type ListQueryInput, pageInSql } from '../../http/lists.ts'
import { authorizeInProject, type Principal } from '../../identity/policy/permissions.ts'
import { MASK, seal, unseal } from '../../sealed.ts'
import { type DeploymentResult, inEffectEverywhere } from '../environments/in-effect.ts'
import { environmentNames, resolveEnvironments } from '../keys/environment-entries.ts'
import * as repo from '../keys/keys.repository.ts'
import type { KeystoreEntry, KeystoreType } from './keystore.worker.ts'
import { type KeystorePool, listEntries, readAlias } from './keystore-pool.ts'

export interface KeystoresDeps {
  db: Kysely<Database>
  clock: Clock
  /** AES-256-GCM key for the sealed files and passwords (see sealed.ts). */
  atRestKey: Buffer
  audit: AuditSink
  /** Opens uploaded keystores off the event loop. */
  keystores: KeystorePool
}

export interface KeystoreInput {
  name: string
  description?: string | undefined
  keyStoreEnvironmentList: {
    environmentName: string
    type: KeystoreType
    file: string
    password?: string | undefined
  }[]
}

interface StoredEntry {
  environmentId: string
  type: KeystoreType
  /** Sealed base64 of the file. */
  file: string
  /** Sealed password. */
  password: string
  entries: KeystoreEntry[]
}

const LIST = 'keyStoreEnvironmentList'
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/

/** Binds a sealed file or password to its keystore, environment and column. */
export const sealContext = (id: string, environmentId: string, column: 'file' | 'password') =>
  `keystores:${id}:${environmentId}:${column}`

const entriesOf = (row: KeystoreRow) => JSON.parse(row.environments) as StoredEntry[]

function view(row: KeystoreRow, project: ProjectRow, byId: Map<string, EnvironmentRow>) {
  return {
    name: row.name,
    description: row.description,
    projectId: project.id,
    keyStoreEnvironmentList: entriesOf(row).flatMap((e) => {
      const environment = byId.get(e.environmentId)
      if (!environment) return []
      return [
        {
          environmentName: environment.name,
          type: e.type,
          file: MASK,
          password: MASK,
          entries: e.entries,
        } as const,
      ]
    }),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }
}

function refuse(field: string, message: string): never {
  throw errors.validationFailed([{ field, message }])
}

type Upload = KeystoreInput['keyStoreEnvironmentList'][number]

/** The stored entry of an environment whose file comes back as the mask. */
function kept(upload: Upload, previous: StoredEntry | undefined, field: string): StoredEntry {
  if (!previous)
    refuse(`${field}.file`, `is "${MASK}" but no keystore is stored for this environment`)
  if (previous.type !== upload.type) {
    refuse(`${field}.type`, `is ${upload.type}, but the kept file is ${previous.type}`)
  }
  if (upload.password !== undefined && upload.password !== MASK) {
    refuse(`${field}.password`, `must be "${MASK}" (or absent) when the stored file is kept`)
  }
  return previous
}

/** Opens one uploaded file in the worker pool; what is wrong with it is a 400 on `file`. */
async function opened(
  deps: KeystoresDeps,
  id: string,
  environmentId: string,
  upload: Upload,
  field: string,
): Promise<StoredEntry> {
  const base64 = upload.file.replace(/\s+/g, '')
  if (!BASE64.test(base64) || base64.length % 4 !== 0) {
    refuse(`${field}.file`, 'is not base64 (the keystore file, base64-encoded)')
  }
  const password = upload.password ?? ''
  if (password === MASK) refuse(`${field}.password`, `is "${MASK}" but a new file is sent`)
  const entries = await listEntries(
    deps.keystores,
    { bytes: new Uint8Array(Buffer.from(base64, 'base64')), type: upload.type, password },
    `${field}.file`,
  )
  return {
    environmentId,
    type: upload.type,
    file: seal(deps.atRestKey, base64, sealContext(id, environmentId, 'file')),
    password: seal(deps.atRestKey, password, sealContext(id, environmentId, 'password')),
    entries,
  }
}

async function storedEntries(
  deps: KeystoresDeps,
  project: ProjectRow,
  id: string,
  input: KeystoreInput,
  previous: StoredEntry[],
): Promise<{ entries: StoredEntry[]; environments: EnvironmentRow[] }> {
  const list = input.keyStoreEnvironmentList
  const names = list.map((e) => e.environmentName)
  const environments = await resolveEnvironments(
    deps.db,
    project,
    names,
    (i) => `${LIST}[${i}].environmentName`,
  )
  const entries: StoredEntry[] = []
  // One at a time: the pool bounds parses server-wide, a request need not fill it alone.
  for (const [i, upload] of list.entries()) {
    const environmentId = (environments[i] as EnvironmentRow).id
    const field = `${LIST}[${i}]`
    entries.push(
      upload.file === MASK
        ? kept(
            upload,
            previous.find((p) => p.environmentId === environmentId),
            field,
          )
        : await opened(deps, id, environmentId, upload, field),
    )
  }
  return { entries, environments }
}

export async function requireKeystore(
  deps: Pick<KeystoresDeps, 'db'>,
  project: ProjectRow,
  name: string,
) {
  const row = await repo.findByName(deps.db, 'keystores', project.id, name)
  if (!row) throw errors.notFound(`Keystore '${name}' in project '${project.name}'`)
  return row
}

/**
 * One environment's entry of a stored keystore, for a JWK made from one of its aliases;
 * undefined when the keystore has none there. The file is opened again (in the pool,
 * with its stored password) only when an alias is read.
 */
export function keystoreEntryOf(
  deps: Pick<KeystoresDeps, 'keystores'> & { atRestKeys: readonly Buffer[] },
  row: KeystoreRow,
  environmentId: string,
) {
  const entry = entriesOf(row).find((e) => e.environmentId === environmentId)
  if (!entry) return undefined
  const open = (column: 'file' | 'password') =>
    unseal(deps.atRestKeys, entry[column], sealContext(row.id, environmentId, column))
  return {
    type: entry.type,
    aliases: entry.entries,
    /** One alias's key and certificate; what is wrong is a 400 on `field`. */
    read: (alias: string, field: string) =>
      readAlias(
        deps.keystores,
        {
          bytes: new Uint8Array(Buffer.from(open('file'), 'base64')),
          type: entry.type,
          password: open('password'),
        },
        alias,
        field,
      ),
  }
}

const duplicate = (name: string, project: ProjectRow) =>
  errors.duplicateName(`Keystore '${name}' in project '${project.name}'`)

const ORDER: ListOrder = {
  sortable: { name: 'name', createdAt: 'created_at' },
  defaultSort: 'name',
}

export async function listKeystores(
  deps: Pick<KeystoresDeps, 'db'>,
  principal: Principal,
  projectName: string,
  query: ListQueryInput,
) {
  const project = await authorizeInProject(deps, principal, 'keyMaterial.read', projectName)
  const byId = await environmentNames(deps.db, project)
  const base = repo.ofProject(deps.db, 'keystores', project.id)
  return pageInSql(deps.db, base, query, ORDER, (row) => view(row as KeystoreRow, project, byId))
}

export async function getKeystore(
  deps: Pick<KeystoresDeps, 'db'>,
  principal: Principal,
  projectName: string,
  name: string,
) {
  const project = await authorizeInProject(deps, principal, 'keyMaterial.read', projectName)
  const row = await requireKeystore(deps, project, name)
  return view(row, project, await environmentNames(deps.db, project))
}

export async function createKeystore(
  deps: KeystoresDeps,
  principal: Principal,
  projectName: string,
  input: KeystoreInput,
): Promise<DeploymentResult> {
  const project = await authorizeInProject(deps, principal, 'keyMaterial.write', projectName)
  if (await repo.findByName(deps.db, 'keystores', project.id, input.name)) {
    throw duplicate(input.name, project)
  }
  const id = randomUUID()
  const { entries, environments } = await storedEntries(deps, project, id, input, [])
  const now = deps.clock.now().toISOString()
  try {
    await repo.insert(deps.db, 'keystores', {
      id,
      project_id: project.id,
      name: input.name,
      description: input.description ?? '',
      environments: JSON.stringify(entries),
      created_at: now,
      updated_at: now,
    })
  } catch (error) {
    if (isUniqueViolation(error)) throw duplicate(input.name, project)
    throw error
  }
  deps.audit.record('keystore.created', { project: project.name, keystore: input.name })
  return inEffectEverywhere(environments)
}

/** Replaces the keystore; the body's name may rename it. */
export async function updateKeystore(
  deps: KeystoresDeps,
  principal: Principal,
  projectName: string,
  name: string,
  input: KeystoreInput,
): Promise<DeploymentResult> {
  const project = await authorizeInProject(deps, principal, 'keyMaterial.write', projectName)
  const row = await requireKeystore(deps, project, name)
  const { entries, environments } = await storedEntries(
    deps,
    project,
    row.id,
    input,
    entriesOf(row),
  )
  try {
    await repo.update(deps.db, 'keystores', row.id, {
      name: input.name,
      description: input.description ?? '',
      environments: JSON.stringify(entries),
      updated_at: deps.clock.now().toISOString(),
    })
  } catch (error) {
    if (isUniqueViolation(error)) throw duplicate(input.name, project)
    throw error
  }
  deps.audit.record('keystore.updated', { project: project.name, keystore: input.name })
  return inEffectEverywhere(environments)
}

export async function deleteKeystore(
  deps: KeystoresDeps,
  principal: Principal,
  projectName: string,
  name: string,
): Promise<DeploymentResult> {
  const project = await authorizeInProject(deps, principal, 'keyMaterial.write', projectName)
  const row = await requireKeystore(deps, project, name)
  const byId = await environmentNames(deps.db, project)
  await repo.remove(deps.db, 'keystores', row.id)
  deps.audit.record('keystore.deleted', { project: project.name, keystore: name })
  const environments = entriesOf(row).flatMap((e) => byId.get(e.environmentId) ?? [])
  return inEffectEverywhere(environments, true)
}
