import { randomUUID } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { AuditSink } from '../../audit/audit.recorder.ts'
import type { Clock } from '../../clock.ts'
import type { Database, IpGroupRow, ProjectRow } from '../../db/schema.ts'
import { isUniqueViolation, type Queryable } from '../../db/types.ts'
import { errors } from '../../errors.ts'
import { type ListOrder, type ListQueryInput, pageInSql, SUCCESS } from '../../http/lists.ts'
import { authorizeInProject, type Principal } from '../../identity/policy/permissions.ts'
import { canonicalList } from '../../ip-entries.ts'
import { refuseIfNamed } from '../proxies/policies/policies.references.ts'
import * as repo from './ip-groups.repository.ts'
import { MAX_ENTRIES } from './ip-groups.schemas.ts'

/*
 * IP groups: named lists of addresses and ranges in a project, for the white and black
 * IP policies to refer to by name. Every entry is validated and stored in one canonical
 * spelling (src/ip-entries.ts), so a duplicate is a duplicate however it is written.
 */

export interface IpGroupsDeps {
  db: Kysely<Database>
  clock: Clock
  audit: AuditSink
}

export interface IpGroupInput {
  name: string
  description?: string | null | undefined
}

const notFound = (project: ProjectRow, name: string) =>
  errors.notFound(`IP group '${name}' in project '${project.name}'`)

async function requireGroup(db: Queryable, project: ProjectRow, name: string) {
  const row = await repo.findGroup(db, project.id, name)
  if (!row) throw notFound(project, name)
  return row
}

type SummaryRow = Pick<IpGroupRow, 'id' | 'name' | 'description' | 'created_at' | 'updated_at'> & {
  ip_count: number | string | bigint | null
}

function summary(row: SummaryRow) {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    ipCount: Number(row.ip_count ?? 0),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }
}

// Names are unique in a project, so name alone makes the order total.
const ORDER: ListOrder = {
  sortable: { name: 'ip_groups.name' },
  defaultSort: 'name',
}

export async function listGroups(
  deps: IpGroupsDeps,
  principal: Principal,
  projectName: string,
  query: ListQueryInput,
) {
  const project = await authorizeInProject(deps, principal, 'ipGroup.read', projectName)
  return pageInSql(deps.db, repo.groupsOfProject(deps.db, project.id), query, ORDER, summary)
}

export async function getGroup(
  deps: IpGroupsDeps,
  principal: Principal,
  projectName: string,
  name: string,
) {
  const project = await authorizeInProject(deps, principal, 'ipGroup.read', projectName)
  const row = await requireGroup(deps.db, project, name)
  const ipList = await repo.entriesOf(deps.db, row.id)
  return { ...summary({ ...row, ip_count: ipList.length }), ipList }
}

export async function createGroup(
  deps: IpGroupsDeps,
  principal: Principal,
  projectName: string,
  input: IpGroupInput,
): Promise<void> {
  const project = await authorizeInProject(deps, principal, 'ipGroup.write', projectName)
  const now = deps.clock.now().toISOString()
  try {
    await repo.insertGroup(deps.db, {
      id: randomUUID(),
      project_id: project.id,
      name: input.name,
      description: input.description ?? '',
      created_at: now,
      updated_at: now,
    })
  } catch (error) {
    if (isUniqueViolation(error))
      throw errors.duplicateName(`IP group '${input.name}' in project '${project.name}'`)
    throw error
  }
  deps.audit.record('ipGroup.created', { project: project.name, ipGroup: input.name })
}

/** Only the description changes: the name in the body must be the one in the path. */
export async function updateGroup(
  deps: IpGroupsDeps,
  principal: Principal,
  projectName: string,
  pathName: string,
  input: IpGroupInput,
): Promise<void> {
  const project = await authorizeInProject(deps, principal, 'ipGroup.write', projectName)
  if (input.name !== pathName) {
    throw errors.validationFailed([
      {
        field: 'name',
        message: `is '${input.name}' but the path names '${pathName}': an IP group cannot be renamed`,
      },
    ])
  }
  const row = await requireGroup(deps.db, project, pathName)
  await repo.updateGroup(deps.db, row.id, {
    description: input.description ?? '',
    updated_at: deps.clock.now().toISOString(),
  })
  deps.audit.record('ipGroup.updated', { project: project.name, ipGroup: row.name })
}

export async function deleteGroup(
  deps: IpGroupsDeps,
  principal: Principal,
  projectName: string,
  name: string,
): Promise<void> {
  const project = await authorizeInProject(deps, principal, 'ipGroup.write', projectName)
  const row = await requireGroup(deps.db, project, name)
  await refuseIfNamed(deps.db, project, 'ipGroupNameList', row.name)
  await repo.deleteGroup(deps.db, row.id)
  deps.audit.record('ipGroup.deleted', { project: project.name, ipGroup: row.name })
}

export type EntriesChange = 'add' | 'replace' | 'remove'

function requireCanonical(list: readonly string[]): string[] {
  const checked = canonicalList(list)
  if ('problems' in checked) throw errors.validationFailed(checked.problems)
  return checked.entries
}

const tooMany = (count: number) =>
  errors.validationFailed([
    {
      field: 'ipList',
      message: `would leave the group with ${count} entries; an IP group holds at most ${MAX_ENTRIES}`,
    },
  ])

/** Applies one change to the group's entries in one transaction; answers what it did. */
async function applyChange(
  trx: Queryable,
  groupId: string,
  change: EntriesChange,
  entries: readonly string[],
): Promise<{ added: number; removed: number }> {
  if (change === 'add') return { added: await repo.addEntries(trx, groupId, entries), removed: 0 }
  if (change === 'remove') {
    return { added: 0, removed: await repo.removeEntries(trx, groupId, entries) }
  }
  const before = new Set(await repo.entriesOf(trx, groupId))
  await repo.replaceEntries(trx, groupId, entries)
  const after = new Set(entries)
  return {
    added: entries.filter((e) => !before.has(e)).length,
    removed: [...before].filter((e) => !after.has(e)).length,
  }
}

export async function changeEntries(
  deps: IpGroupsDeps,
  principal: Principal,
  projectName: string,
  name: string,
  change: EntriesChange,
  list: readonly string[],
) {
  const project = await authorizeInProject(deps, principal, 'ipGroup.write', projectName)
  const entries = requireCanonical(list)
  const row = await requireGroup(deps.db, project, name)
  const outcome = await deps.db.transaction().execute(async (trx) => {
    const counts = await applyChange(trx, row.id, change, entries)
    const ipCount = await repo.countEntries(trx, row.id)
    // Thrown inside, so the transaction rolls the change back.
    if (ipCount > MAX_ENTRIES) throw tooMany(ipCount)
    if (counts.added + counts.removed > 0) {
      await repo.updateGroup(trx, row.id, { updated_at: deps.clock.now().toISOString() })
    }
    return { ...counts, ipCount }
  })
  if (outcome.added + outcome.removed > 0) {
    deps.audit.record('ipGroup.entriesChanged', {
      project: project.name,
      ipGroup: row.name,
      change,
      added: outcome.added,
      removed: outcome.removed,
    })
  }
  return { ...SUCCESS, ...outcome }
}
