import { Secret } from '../../settings/settings.fields.ts'
import type { PolicyTypeDefinition } from './definition.ts'
import { Flag, Text } from './shared-b.ts'
import { PasswordType } from './ws-security-parts.ts'

export const wsSecurityUsername: PolicyTypeDefinition = {
  type: 'policy-ws-security-username',
  label: 'WS-Security username token',
  fields: {
    mustUnderstand: Flag,
    username: Text(200),
    password: Secret,
    passwordType: PasswordType,
    nonce: Flag,
    created: Flag,
  },
  secrets: ['password'],
}
