import type { PolicyTypeDefinition } from './definition.ts'

/** Types policy-api-authentication ... policy-encryption, one file each beside this one. */
export const POLICY_TYPES_A: readonly PolicyTypeDefinition[] = []
