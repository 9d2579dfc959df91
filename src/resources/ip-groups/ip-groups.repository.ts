import type { IpGroupRow } from '../../db/schema.ts'
import type { Queryable } from '../../db/types.ts'

/** The list's query: one project's groups, with how many entries each holds. */
export function groupsOfProject(db: Queryable, projectId: string) {
  return db
    .selectFrom('ip_groups')
    .select((eb) => [
      'ip_groups.id',
      'ip_groups.name',
      'ip_groups.description',
      'ip_groups.created_at',
      'ip_groups.updated_at',
      eb
        .selectFrom('ip_group_entries')
        .select((e) => e.fn.countAll<number | string | bigint>().as('n'))
        .whereRef('ip_group_entries.group_id', '=', 'ip_groups.id')
        .as('ip_count'),
    ])
    .where('ip_groups.project_id', '=', projectId)
}

export function findGroup(
  db: Queryable,
  projectId: string,
  name: string,
): Promise<IpGroupRow | undefined> {
  return db
    .selectFrom('ip_groups')
    .selectAll()
    .where('project_id', '=', projectId)
    .where('name', '=', name)
    .executeTakeFirst()
}

export async function insertGroup(db: Queryable, row: IpGroupRow): Promise<void> {
  await db.insertInto('ip_groups').values(row).execute()
}

export async function updateGroup(
  db: Queryable,
  id: string,
  changes: Partial<Pick<IpGroupRow, 'description' | 'updated_at'>>,
): Promise<void> {
  await db.updateTable('ip_groups').set(changes).where('id', '=', id).execute()
}

export async function deleteGroup(db: Queryable, id: string): Promise<void> {
  await db.deleteFrom('ip_groups').where('id', '=', id).execute()
}

export async function entriesOf(db: Queryable, groupId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('ip_group_entries')
    .select('entry')
    .where('group_id', '=', groupId)
    .orderBy('position')
    .execute()
  return rows.map((r) => r.entry)
}

/** Makes these (canonical, distinct) entries the group's whole list, in this order. */
export async function replaceEntries(
  db: Queryable,
  groupId: string,
  entries: readonly string[],
): Promise<void> {
  await db.deleteFrom('ip_group_entries').where('group_id', '=', groupId).execute()
  // Chunked: one statement per 500 rows stays under SQLite's and PostgreSQL's bind limits.
  for (let i = 0; i < entries.length; i += 500) {
    await db
      .insertInto('ip_group_entries')
      .values(
        entries
          .slice(i, i + 500)
          .map((entry, j) => ({ group_id: groupId, entry, position: i + j })),
      )
      .execute()
  }
}

/**
 * Adds what the group lacks, after what it has: a statement, not a read-then-write, so
 * two adds at once both land. Answers how many were new.
 */
export async function addEntries(
  db: Queryable,
  groupId: string,
  entries: readonly string[],
): Promise<number> {
  const { last } = await db
    .selectFrom('ip_group_entries')
    .select((eb) => eb.fn.max('position').as('last'))
    .where('group_id', '=', groupId)
    .executeTakeFirstOrThrow()
  const start = last === null ? 0 : Number(last) + 1
  let added = 0
  for (let i = 0; i < entries.length; i += 500) {
    const result = await db
      .insertInto('ip_group_entries')
      .values(
        entries
          .slice(i, i + 500)
          .map((entry, j) => ({ group_id: groupId, entry, position: start + i + j })),
      )
      .onConflict((oc) => oc.columns(['group_id', 'entry']).doNothing())
      .executeTakeFirst()
    added += Number(result.numInsertedOrUpdatedRows ?? 0)
  }
  return added
}

export async function removeEntries(
  db: Queryable,
  groupId: string,
  entries: readonly string[],
): Promise<number> {
  let removed = 0
  for (let i = 0; i < entries.length; i += 500) {
    const result = await db
      .deleteFrom('ip_group_entries')
      .where('group_id', '=', groupId)
      .where('entry', 'in', entries.slice(i, i + 500))
      .executeTakeFirst()
    removed += Number(result.numDeletedRows)
  }
  return removed
}

export async function countEntries(db: Queryable, groupId: string): Promise<number> {
  const { n } = await db
    .selectFrom('ip_group_entries')
    .select((eb) => eb.fn.countAll<number | string | bigint>().as('n'))
    .where('group_id', '=', groupId)
    .executeTakeFirstOrThrow()
  return Number(n)
}
