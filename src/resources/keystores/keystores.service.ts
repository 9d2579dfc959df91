import type { Kysely } from 'kysely'
import type { AuditSink } from '../../audit/audit.recorder.ts'
import type { Clock } from '../../clock.ts'
import type { Database, EnvironmentRow, KeystoreRow, ProjectRow } from '../../db/schema.ts'
import { errors } from '../../errors.ts'
import { MASK, seal, unseal } from '../../sealed.ts'
import { resolveEnvironments } from '../keys/environment-entries.ts'
import { entriesOfRow, type PerEnvironmentKind, requireNamed } from '../keys/per-environment.ts'
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

const entriesOf = (row: KeystoreRow) => entriesOfRow<StoredEntry>(row)

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

type KeystoreView = ReturnType<typeof view>

/** Keystores' CRUD (per-environment.ts, routes in per-environment.routes.ts). */
export const KEYSTORES = {
  table: 'keystores',
  label: 'Keystore',
  record: (audit, change, project, keystore) =>
    audit.record(`keystore.${change}`, { project, keystore }),
  view,
  entries: storedEntries,
} as const satisfies PerEnvironmentKind<
  'keystores',
  KeystoreRow,
  KeystoreInput,
  StoredEntry,
  KeystoreView,
  KeystoresDeps
>

export const requireKeystore = (
  deps: Pick<KeystoresDeps, 'db'>,
  project: ProjectRow,
  name: string,
) => requireNamed(KEYSTORES, deps, project, name)

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
