import type { PolicyTypeDefinition } from './definition.ts'

/** Types policy-group ... policy-xml-transformation, one file each beside this one. */
export const POLICY_TYPES_B: readonly PolicyTypeDefinition[] = []
