import { randomUUID } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { AuditSink } from '../../audit/audit.recorder.ts'
import type { Clock } from '../../clock.ts'
import type { Database, JwkRow, ProjectRow } from '../../db/schema.ts'
import { isUniqueViolation } from '../../db/types.ts'
import { errors } from '../../errors.ts'
import { type ListOrder, type ListQueryInput, pageInSql, SUCCESS } from '../../http/lists.ts'
import { authorizeInProject, type Principal } from '../../identity/policy/permissions.ts'
import { MASK, seal } from '../../sealed.ts'
import { listEnvironmentsOfProject } from '../environments/environments.repository.ts'
import { type DeploymentResult, inEffectEverywhere } from '../environments/in-effect.ts'
import type { KeystorePool } from '../keystores/keystore-pool.ts'
import type { SpecFetchOptions } from '../proxies/spec-fetch.ts'
import type { UseType } from './jwks.algorithms.ts'
import { type GenerateInput, generateKey } from './jwks.generate.ts'
import type { Jwk, Material } from './jwks.material.ts'
import * as repo from './jwks.repository.ts'

/*
 * JWKs of a project: stored once, read by every environment the project may use (so a
 * write is in effect everywhere when stored, as for credentials). The public members
 * are kept as JSON; the private ones are sealed, bound to the row, and read as the mask.
 */

export interface JwksDeps {
  db: Kysely<Database>
  clock: Clock
  atRestKey: Buffer
  atRestKeys: readonly Buffer[]
  audit: AuditSink
  /** The spec fetcher's limits and resolver: JWK set URLs are fetched the same way. */
  specImport: { fetch: SpecFetchOptions }
  /** Opens stored keystores (off the event loop) for JWKs made from their entries. */
  keystores: KeystorePool
}

export type SourceType =
  | 'URL'
  | 'COPY_PASTE'
  | 'CERTIFICATE'
  | 'PUBLIC_KEY'
  | 'PRIVATE_KEY'
  | 'KEYSTORE'
  | 'GENERATE'

/** Binds the sealed private members to their row and column. */
export const privateJwkContext = (jwkId: string) => `jwks:${jwkId}:private_jwk`

export interface JwkWrite {
  status: 'SUCCESS'
  success: true
  jwk?: ReturnType<typeof summary>
  deploymentResult: DeploymentResult
}

function summary(row: repo.JwkSummaryRow & { private_jwk?: string | null }, hasPrivate: boolean) {
  return {
    name: row.name,
    description: row.description,
    projectId: row.project_id,
    sourceType: row.source_type,
    sourceId: row.source_id,
    sourceUrl: row.source_url,
    type: row.type,
    kid: row.kid,
    useType: row.use_type,
    algorithm: row.algorithm,
    notBeforeTime: row.not_before,
    expirationTime: row.expires_at,
    hasPrivateKey: hasPrivate,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }
}

const PRIVATE_OF: Record<string, readonly string[]> = {
  RSA: ['d', 'p', 'q', 'dp', 'dq', 'qi'],
  EC: ['d'],
  OKP: ['d'],
  OCT: ['k'],
}
const MATERIAL_OF: Record<string, string> = { RSA: 'rsa', EC: 'ec', OCT: 'oct', OKP: 'okp' }

/** The full view: the key members under rsa/ec/oct/okp, each private one as the mask. */
function detail(row: JwkRow) {
  const publicJwk = JSON.parse(row.public_jwk) as Jwk
  const members: Record<string, unknown> = {}
  for (const name of ['crv', 'n', 'e', 'x', 'y']) {
    if (publicJwk[name] !== undefined) members[name] = publicJwk[name]
  }
  // No members to decrypt for the view: the mask says a private key is stored.
  if (row.private_jwk !== null) for (const name of PRIVATE_OF[row.type] ?? []) members[name] = MASK
  return {
    ...summary(row, row.private_jwk !== null),
    [MATERIAL_OF[row.type] as string]: members,
    publicJwk,
  }
}

async function everywhere(db: Kysely<Database>, project: ProjectRow, removed = false) {
  return inEffectEverywhere(await listEnvironmentsOfProject(db, project.id), removed)
}

async function requireJwk(db: Kysely<Database>, project: ProjectRow, name: string) {
  const row = await repo.findJwk(db, project.id, name)
  if (!row) throw errors.notFound(`JWK '${name}' in project '${project.name}'`)
  return row
}

const duplicate = (project: ProjectRow, name: string) =>
  errors.duplicateName(`JWK '${name}' in project '${project.name}'`)

/** Refuses a taken name before a source is fetched or a key generated for nothing. */
export async function checkNameFree(deps: Pick<JwksDeps, 'db'>, project: ProjectRow, name: string) {
  if (await repo.findJwk(deps.db, project.id, name)) throw duplicate(project, name)
}

/** The caller may write JWKs in the project, and the name is free: answers the project. */
export async function writable(
  deps: Pick<JwksDeps, 'db'>,
  principal: Principal,
  projectName: string,
  name: string,
) {
  const project = await authorizeInProject(deps, principal, 'security.write', projectName)
  await checkNameFree(deps, project, name)
  return project
}

/** The environment named, which must be one the project may use. */
export async function usableEnvironment(
  deps: Pick<JwksDeps, 'db'>,
  project: ProjectRow,
  name: string,
) {
  const environment = (await listEnvironmentsOfProject(deps.db, project.id)).find(
    (e) => e.name === name,
  )
  if (!environment) {
    throw errors.notFound(`Environment '${name}' (one project '${project.name}' may use)`)
  }
  return environment
}

export interface Named {
  name: string
  description?: string | null | undefined
}

export interface NewJwk {
  name: string
  description?: string | null | undefined
  sourceType: SourceType
  sourceId?: string | null
  sourceUrl?: string | null
  /** What a JWK made from a stored source was derived with (jwks.derive.ts). */
  sourceInputs?: object | null
  material: Material
  use: UseType | null
  algorithm: string | null
  notBefore?: string | null
  expiresAt?: string | null
}

/** Stores a checked key; the private members sealed to the new row. */
export async function storeJwk(
  deps: JwksDeps,
  project: ProjectRow,
  input: NewJwk,
): Promise<JwkWrite> {
  const now = deps.clock.now().toISOString()
  const id = randomUUID()
  const { material } = input
  const row: JwkRow = {
    id,
    project_id: project.id,
    name: input.name,
    description: input.description ?? '',
    source_type: input.sourceType,
    source_id: input.sourceId ?? null,
    source_url: input.sourceUrl ?? null,
    type: material.type,
    kid: typeof material.publicJwk.kid === 'string' ? material.publicJwk.kid : null,
    use_type: input.use,
    algorithm: input.algorithm,
    public_jwk: JSON.stringify(material.publicJwk),
    private_jwk:
      material.privateJwk === null
        ? null
        : seal(deps.atRestKey, JSON.stringify(material.privateJwk), privateJwkContext(id)),
    not_before: input.notBefore ?? null,
    expires_at: input.expiresAt ?? null,
    created_at: now,
    updated_at: now,
    source_inputs: input.sourceInputs ? JSON.stringify(input.sourceInputs) : null,
  }
  try {
    await repo.insertJwk(deps.db, row)
  } catch (error) {
    if (isUniqueViolation(error)) throw duplicate(project, input.name)
    throw error
  }
  deps.audit.record('jwk.created', {
    project: project.name,
    jwk: row.name,
    sourceType: row.source_type,
  })
  return {
    ...SUCCESS,
    jwk: summary(row, row.private_jwk !== null),
    deploymentResult: await everywhere(deps.db, project),
  }
}

// Names are unique in a project, so name alone makes the order total.
const ORDER: ListOrder = {
  sortable: { name: 'name', type: 'type', createdAt: 'created_at' },
  defaultSort: 'name',
}

export async function listJwks(
  deps: Pick<JwksDeps, 'db'>,
  principal: Principal,
  projectName: string,
  query: ListQueryInput,
) {
  const project = await authorizeInProject(deps, principal, 'project.read', projectName)
  // The list carries no key material, sealed or not: a flag says whether one is stored.
  const base = repo
    .jwksOfProject(deps.db, project.id)
    .select((eb) => eb('private_jwk', 'is not', null).as('has_private'))
  return pageInSql(deps.db, base, query, ORDER, (row) =>
    summary(row, Boolean(Number(row.has_private))),
  )
}

export async function getJwk(
  deps: Pick<JwksDeps, 'db'>,
  principal: Principal,
  projectName: string,
  name: string,
) {
  const project = await authorizeInProject(deps, principal, 'project.read', projectName)
  return { ...SUCCESS, resultList: [detail(await requireJwk(deps.db, project, name))] }
}

export async function generateJwk(
  deps: JwksDeps,
  principal: Principal,
  projectName: string,
  input: GenerateInput,
): Promise<JwkWrite> {
  const project = await authorizeInProject(deps, principal, 'security.write', projectName)
  await checkNameFree(deps, project, input.name)
  const made = await generateKey(input, deps.clock.now())
  return storeJwk(deps, project, {
    name: input.name,
    description: input.description,
    sourceType: 'GENERATE',
    material: made.material,
    use: made.use,
    algorithm: made.algorithm,
    notBefore: made.notBefore,
    expiresAt: made.expiresAt,
  })
}

/**
 * A new name and description. As the docs say, a changed JWK no longer follows its
 * source: the link to it (sourceId, sourceUrl) is dropped; its sourceType stays.
 */
export async function updateJwk(
  deps: JwksDeps,
  principal: Principal,
  projectName: string,
  name: string,
  input: { name?: string | undefined; description?: string | null | undefined },
): Promise<JwkWrite> {
  const project = await authorizeInProject(deps, principal, 'security.write', projectName)
  const row = await requireJwk(deps.db, project, name)
  const newName = input.name ?? name
  const changes = {
    name: newName,
    description: input.description === undefined ? row.description : (input.description ?? ''),
    source_id: null,
    source_url: null,
    source_inputs: null,
    updated_at: deps.clock.now().toISOString(),
  }
  try {
    await repo.updateJwk(deps.db, row.id, changes)
  } catch (error) {
    if (isUniqueViolation(error)) throw duplicate(project, newName)
    throw error
  }
  deps.audit.record('jwk.updated', {
    project: project.name,
    jwk: newName,
    ...(newName === name ? {} : { previousName: name }),
  })
  const updated = { ...row, ...changes }
  return {
    ...SUCCESS,
    jwk: summary(updated, row.private_jwk !== null),
    deploymentResult: await everywhere(deps.db, project),
  }
}

export async function deleteJwk(
  deps: JwksDeps,
  principal: Principal,
  projectName: string,
  name: string,
): Promise<JwkWrite> {
  const project = await authorizeInProject(deps, principal, 'security.write', projectName)
  const row = await requireJwk(deps.db, project, name)
  // Policies that name a JWK refer to it by name and are checked when they run.
  await repo.deleteJwk(deps.db, row.id)
  deps.audit.record('jwk.deleted', { project: project.name, jwk: row.name })
  return { ...SUCCESS, deploymentResult: await everywhere(deps.db, project, true) }
}
