import type { ProjectRow } from '../../../db/schema.ts'
import type { Queryable } from '../../../db/types.ts'
import { errors, type ValidationIssue } from '../../../errors.ts'
import { findCertificate } from '../../certificates/certificates.repository.ts'
import { findGroup } from '../../ip-groups/ip-groups.repository.ts'

/*
 * What a policy names by name elsewhere in its project: IP groups (ipGroupNameList, any
 * type) and certificates (certificateName, as policy-api-call documents it). A policy
 * may name only what exists, and what a policy names cannot be deleted under it.
 */

interface Reference {
  /** The top-level policy field holding one name or a list of names. */
  field: string
  what: string
  exists: (db: Queryable, projectId: string, name: string) => Promise<unknown>
}

const REFERENCES: readonly Reference[] = [
  { field: 'ipGroupNameList', what: 'IP group', exists: findGroup },
  { field: 'certificateName', what: 'certificate', exists: findCertificate },
]

const namesIn = (value: unknown): [string, string][] =>
  Array.isArray(value)
    ? value.map((v, i) => [String(i), String(v)])
    : typeof value === 'string' && value !== ''
      ? [['', value]]
      : []

/** One issue per name that names nothing in the project. */
export async function referenceIssues(
  db: Queryable,
  project: ProjectRow,
  policy: Readonly<Record<string, unknown>>,
): Promise<ValidationIssue[]> {
  const issues: ValidationIssue[] = []
  for (const ref of REFERENCES) {
    for (const [at, name] of namesIn(policy[ref.field])) {
      if (await ref.exists(db, project.id, name)) continue
      issues.push({
        field: `policy.${ref.field}${at ? `.${at}` : ''}`,
        message: `names ${ref.what} '${name}', which does not exist in project '${project.name}'`,
      })
    }
  }
  return issues
}

/** Refuses (409) to delete what a policy of the project names, naming each such policy. */
export async function refuseIfNamed(
  db: Queryable,
  project: ProjectRow,
  field: 'ipGroupNameList' | 'certificateName',
  name: string,
): Promise<void> {
  const ref = REFERENCES.find((r) => r.field === field) as Reference
  const rows = await db
    .selectFrom('proxy_policies')
    .innerJoin('api_proxies', 'api_proxies.id', 'proxy_policies.proxy_id')
    .select([
      'api_proxies.name as proxy',
      'proxy_policies.name as policy',
      'proxy_policies.policy as json',
    ])
    .where('api_proxies.project_id', '=', project.id)
    .where('proxy_policies.policy', 'like', `%"${field}"%`)
    .execute()
  const users = rows.filter((r) =>
    namesIn((JSON.parse(r.json) as Record<string, unknown>)[field]).some(([, n]) => n === name),
  )
  if (users.length === 0) return
  const named = users.map((u) => `policy '${u.policy}' of API proxy '${u.proxy}'`)
  throw errors.conflict(
    `${ref.what[0]?.toUpperCase()}${ref.what.slice(1)} '${name}' is in use by ${named.join(', ')}: change or delete those policies first.`,
  )
}
