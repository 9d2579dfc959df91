import type { Kysely } from 'kysely'

// Frozen: never edit a migration that has shipped; add a new one instead.

/**
 * The relative paths of API proxy groups, one row per path, so a path is held by one
 * group of a project (primary key) and the proxy and group writes can look each other's
 * paths up by index. Existing groups are backfilled in creation order; a path an older
 * group already holds stays with it (before this, group paths were not checked).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('group_routes')
    .addColumn('project_id', 'varchar(36)', (c) =>
      c.notNull().references('projects.id').onDelete('cascade'),
    )
    .addColumn('path', 'text', (c) => c.notNull())
    .addColumn('group_id', 'varchar(36)', (c) =>
      c.notNull().references('proxy_groups.id').onDelete('cascade'),
    )
    .addPrimaryKeyConstraint('group_routes_pk', ['project_id', 'path'])
    .execute()
  await db.schema
    .createIndex('group_routes_group_idx')
    .on('group_routes')
    .column('group_id')
    .execute()
  const groups = await db
    .selectFrom('proxy_groups')
    .select(['id', 'project_id', 'client_route'])
    .orderBy('created_at')
    .orderBy('id')
    .execute()
  for (const group of groups) {
    const paths: unknown = JSON.parse(group.client_route)?.relativePathList
    if (!Array.isArray(paths)) continue
    for (const path of new Set(paths.filter((p): p is string => typeof p === 'string'))) {
      await db
        .insertInto('group_routes')
        .values({ project_id: group.project_id, path, group_id: group.id })
        .onConflict((oc) => oc.doNothing())
        .execute()
    }
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('group_routes').execute()
}
