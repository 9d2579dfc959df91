import { Type } from 'typebox'
import { SuccessBody } from '../../http/schemas.ts'
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from './passwords.ts'

/** A password a user may be given: the same rule for admins, the CLI and a person's own change. */
export const PasswordSchema = Type.String({
  minLength: PASSWORD_MIN_LENGTH,
  maxLength: PASSWORD_MAX_LENGTH,
})

export const RevokeTokensField = Type.Optional(
  Type.Boolean({
    default: true,
    description:
      'Also revoke every live API token of the user and end their console sessions (the session making the change stays). Default true: a new password is usually set because the old one may be known to someone else. Send false to keep them.',
  }),
)

export const PasswordChangeSchema = Type.Object({
  ...SuccessBody.properties,
  revokedTokenCount: Type.Integer({ description: 'Live API tokens revoked (0 when kept)' }),
  endedSessionCount: Type.Integer({ description: 'Console sessions ended (0 when kept)' }),
})
