import { Type } from 'typebox'
import type { EnvironmentRow } from '../../db/schema.ts'

/*
 * The documented `deploymentResult` of project-wide objects the docs say are "deployed
 * to every environment" on write (credentials, their access, environment variables).
 * apiops stores them once and every environment reads them from there, so a write is
 * in effect everywhere as soon as it is stored: one entry per environment the project
 * may use, each a success.
 */

export interface EnvironmentResult {
  environmentName: string
  success: boolean
  message: string
}

export interface DeploymentResult {
  success: boolean
  message: string
  environmentResults: EnvironmentResult[]
}

export const DeploymentResultSchema = Type.Object({
  success: Type.Boolean(),
  message: Type.String(),
  environmentResults: Type.Array(
    Type.Object({
      environmentName: Type.String(),
      success: Type.Boolean(),
      message: Type.String(),
    }),
    { description: 'One per environment the project may use' },
  ),
})

export function inEffectEverywhere(
  usable: readonly EnvironmentRow[],
  removed = false,
): DeploymentResult {
  const count = `${usable.length} environment${usable.length === 1 ? '' : 's'}`
  return {
    success: true,
    message: removed ? `Undeployed from ${count}` : `Deployed to ${count}`,
    environmentResults: usable.map((environment) => ({
      environmentName: environment.name,
      success: true,
      message: removed ? 'Undeployed' : 'Deployed',
    })),
  }
}
