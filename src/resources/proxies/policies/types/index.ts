import type { PolicyTypeDefinition } from './definition.ts'
import { POLICY_TYPES_A } from './index-a.ts'
import { POLICY_TYPES_B } from './index-b.ts'

/**
 * Every documented policy type. Two lists (A: policy-api-* to policy-encryption, B:
 * policy-group to policy-xml-*) so each can grow without touching the other.
 */
export const POLICY_TYPES: readonly PolicyTypeDefinition[] = [...POLICY_TYPES_A, ...POLICY_TYPES_B]
