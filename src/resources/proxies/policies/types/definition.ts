import type { TSchema } from 'typebox'

/**
 * One documented policy type (05-policies/policies/policy-*.md), in its own file under
 * this folder. The framework (../) adds the fields every policy shares (type,
 * description, active, policyCondition, errorMessageList), closes the object
 * (additionalProperties: false), seals and masks the secrets, and puts every type in the
 * OpenAPI document as one member of a union discriminated by `policy.type`.
 */
export interface PolicyTypeDefinition {
  /** The documented discriminator, e.g. 'policy-black-ip'. */
  readonly type: string
  /** Plain words for the console and the docs, e.g. 'Blocked IP list'. */
  readonly label: string
  /** The type's own fields (TypeBox), optional ones wrapped in Type.Optional. */
  readonly fields: Readonly<Record<string, TSchema>>
  /**
   * Dotted paths of secret values ('clientSecret', 'keyList.*.password'): sealed at
   * rest, answered as the mask, kept when the mask is sent back.
   */
  readonly secrets?: readonly string[]
  /** Rules the schema cannot say (one field required when another has a value...). */
  readonly check?: (policy: Readonly<Record<string, unknown>>) => PolicyIssue[]
}

/** A problem with one field, named as the client sent it (e.g. 'policy.detailList.0.x'). */
export interface PolicyIssue {
  field: string
  message: string
}
