import { Type } from 'typebox'
import { enumOf, Secret } from '../../settings/settings.fields.ts'
import type { PolicyTypeDefinition } from './definition.ts'
import { Flag, maybe, need, Text } from './shared-b.ts'
import {
  encryptionFields,
  encryptionIssues,
  PasswordType,
  signatureFields,
  signatureIssues,
  TimeToLive,
} from './ws-security-parts.ts'

const ENTRY_TYPES = ['TIMESTAMP', 'USERNAME_TOKEN', 'ENCRYPTION', 'SIGNATURE'] as const

/** Each entry in wsSecurityEntryOrderList needs its own settings. */
const NEEDS: Record<(typeof ENTRY_TYPES)[number], string[]> = {
  TIMESTAMP: ['tsTimeToLive'],
  USERNAME_TOKEN: ['unUsername', 'unPassword', 'unPasswordType'],
  ENCRYPTION: [
    'encKeyStoreName',
    'encKeyIdType',
    'encSymEncAlgorithm',
    'encKeyEncAlgorithm',
    'encPartList',
  ],
  SIGNATURE: ['sigKeyStoreName', 'sigKeyIdType', 'sigPartList'],
}

export const wsSecurityToTarget: PolicyTypeDefinition = {
  type: 'policy-ws-security-to-target',
  label: 'WS-Security to target',
  fields: {
    mustUnderstand: Flag,
    tsTimeToLive: maybe(TimeToLive),
    unUsername: maybe(Text(200)),
    unPassword: maybe(Secret),
    unPasswordDecrypted: Flag,
    unNonce: Flag,
    unCreated: Flag,
    unPasswordType: maybe(PasswordType),
    ...encryptionFields(false),
    ...signatureFields(false),
    // Each entry at most once: the list orders the header's elements.
    wsSecurityEntryOrderList: Type.Array(enumOf(ENTRY_TYPES), {
      minItems: 1,
      maxItems: 4,
      uniqueItems: true,
    }),
  },
  secrets: ['unPassword'],
  check: (policy) => {
    const entries = Array.isArray(policy.wsSecurityEntryOrderList)
      ? (policy.wsSecurityEntryOrderList as (typeof ENTRY_TYPES)[number][])
      : []
    const required = [...new Set(entries)].flatMap((entry) =>
      (NEEDS[entry] ?? []).flatMap((field) =>
        need(policy, 'policy', field, true, `wsSecurityEntryOrderList has ${entry}`),
      ),
    )
    return [...required, ...encryptionIssues(policy), ...signatureIssues(policy)]
  },
}
