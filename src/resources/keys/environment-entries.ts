import type { AuditSink } from '../../audit/audit.recorder.ts'
import type { EnvironmentRow, ProjectRow } from '../../db/schema.ts'
import type { Queryable } from '../../db/types.ts'
import { errors } from '../../errors.ts'
import { listEnvironmentsOfProject } from '../environments/environments.repository.ts'

/*
 * Keys and keystores carry one entry per environment (the documented *EnvironmentList).
 * Entries name environments the project may use, each at most once; they are stored
 * by environment id, so renaming an environment keeps them, and an entry whose
 * environment was deleted is no longer shown.
 */

/** Each entry's environment, in order; a 400 naming the entry's field otherwise. */
export async function resolveEnvironments(
  db: Queryable,
  project: ProjectRow,
  names: readonly string[],
  /** The field that names the i-th environment, for messages. */
  fieldOf: (i: number) => string,
): Promise<EnvironmentRow[]> {
  const usable = new Map((await listEnvironmentsOfProject(db, project.id)).map((e) => [e.name, e]))
  const seen = new Set<string>()
  return names.map((name, i) => {
    const field = fieldOf(i)
    const environment = usable.get(name)
    if (!environment) {
      throw errors.validationFailed([
        {
          field,
          message: `names '${name}', which is not an environment project '${project.name}' may use`,
        },
      ])
    }
    if (seen.has(name)) {
      throw errors.validationFailed([{ field, message: `names '${name}' a second time` }])
    }
    seen.add(name)
    return environment
  })
}

/** Environment names by id, for reading stored entries back. */
export async function environmentNames(
  db: Queryable,
  project: ProjectRow,
): Promise<Map<string, EnvironmentRow>> {
  return new Map((await listEnvironmentsOfProject(db, project.id)).map((e) => [e.id, e]))
}

export type UpdateScope = 'SAME_PROJECT' | 'ALL_PROJECTS'

/**
 * Work an update does in its own transaction once its row is written (the JWKs made
 * from a key, keystore or certificate, refreshed: src/resources/jwks/jwks.refresh.ts),
 * and what it records once that transaction has committed.
 */
export interface AfterUpdate<Row, Result> {
  inTransaction: (db: Queryable, updated: Row) => Promise<Result>
  committed: (result: Result, audit: AuditSink) => void
}

/**
 * The documented updateReferencedJwks / updateScope pair: a scope is required with true.
 * Answers the scope when the JWKs made from the source are to be refreshed.
 */
export function checkJwkScope(query: {
  updateReferencedJwks?: boolean | undefined
  updateScope?: UpdateScope | undefined
}): UpdateScope | undefined {
  if (query.updateReferencedJwks !== true) return undefined
  if (query.updateScope === undefined) {
    throw errors.validationFailed([
      {
        field: 'updateScope',
        message: 'is required when updateReferencedJwks is true: SAME_PROJECT or ALL_PROJECTS',
      },
    ])
  }
  return query.updateScope
}
