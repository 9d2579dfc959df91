import type { EnvironmentRow, ProjectRow } from '../../db/schema.ts'
import { errors } from '../../errors.ts'
import {
  MalformedReference,
  parseReferences,
  resolveVariables,
  unresolvable,
} from '../environment-variables/environment-variables.resolve.ts'
import { variableScope } from '../environment-variables/environment-variables.service.ts'

/*
 * Routing addresses may refer to environment variables (`${API_BASE_URL}/orders`): the
 * same stored proxy reaches another backend in each environment. Well-formedness is
 * checked when the proxy is written; resolution when it is deployed, per environment.
 */

/** A `${` in an address must start a well-formed reference; whether it resolves depends on the environment. */
export function assertReferencesWellFormed(addresses: { address: string }[]): void {
  const issues = addresses.flatMap(({ address }, i) => {
    try {
      parseReferences(address)
      return []
    } catch (error) {
      if (!(error instanceof MalformedReference)) throw error
      return [{ field: `routingInfo.routingAddressList.${i}.address`, message: error.message }]
    }
  })
  if (issues.length > 0) throw errors.validationFailed(issues)
}

/**
 * A proxy deploys to an environment only if each routing address resolves there: every
 * `${NAME}` has a value in it, and the result is an http(s) URL. The message never
 * holds a resolved value (it may be a secret).
 */
export async function assertAddressesResolve(
  deps: Parameters<typeof variableScope>[0],
  project: ProjectRow,
  routing: { routingAddressList: readonly { address: string }[] },
  environment: EnvironmentRow,
): Promise<void> {
  const addresses = routing.routingAddressList.map((a) => a.address)
  if (!addresses.some((a) => a.includes('${'))) return
  const scope = await variableScope(deps, project.id, environment)
  const issues = addresses.flatMap((address, i) => {
    const field = `routingInfo.routingAddressList.${i}.address`
    const issue = unresolvable(address, scope, field)
    if (issue) return [issue]
    if (/^https?:\/\/[^\s/?#]+/.test(resolveVariables(address, scope, field))) return []
    return [
      {
        field,
        message: `does not resolve to an http:// or https:// URL in environment '${environment.name}'; check the values of the variables it refers to`,
      },
    ]
  })
  if (issues.length > 0) throw errors.validationFailed(issues)
}
