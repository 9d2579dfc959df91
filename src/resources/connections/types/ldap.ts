import { Type } from 'typebox'
import { matching } from '../../../http/schemas.ts'
import {
  bool,
  type ConnectionTypeDef,
  noPasswordInUrl,
  oneOf,
  required,
  requiredWhen,
  secret,
  text,
} from './definition.ts'
import { urlTarget } from './targets.ts'

const opt = Type.Optional

export const ldap: ConnectionTypeDef = {
  type: 'ldap',
  fields: {
    serverAddress: Type.String({
      maxLength: 2048,
      ...matching('^ldaps?://[^\\s/?#]+\\S*$', 'must be an ldap:// or ldaps:// URL'),
    }),
    requireCertificateType: opt(oneOf(['NOT_REQUIRED', 'REQUIRED_CN', 'REQUIRED_AN_PN'])),
    username: required(1024, 'The DN to bind as'),
    password: opt(secret(1024)),
    customFilter: opt(text(1024)),
    searchScope: opt(oneOf(['OBJECT', 'ONE_LEVEL', 'SUBTREE'])),
    baseDn: required(1024),
    certificateId: opt(text(100)),
    certificateName: opt(text(100)),
    useSsl: opt(bool()),
    selectedEnvironmentId: opt(text(100)),
  },
  target: { serverAddress: urlTarget(false) },
  check: (body) => [
    ...noPasswordInUrl(body, 'serverAddress'),
    ...requiredWhen(body, true, '(the bind DN needs it)', 'password'),
  ],
}
