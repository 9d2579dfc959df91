import type { PolicyTypeDefinition } from './definition.ts'
import { group } from './group.ts'
import { joseImplementation } from './jose-implementation.ts'
import { joseValidation } from './jose-validation.ts'
import { jsonSchemaValidation } from './json-schema-validation.ts'
import { jsonTransformation } from './json-transformation.ts'
import { maxMessageSize } from './max-message-size.ts'
import { minMessageSize } from './min-message-size.ts'
import { oidc } from './oidc.ts'
import { redaction } from './redaction.ts'
import { requestProtocolTransformation } from './request-protocol-transformation.ts'
import { responseProtocolTransformation } from './response-protocol-transformation.ts'
import { samlValidation } from './saml-validation.ts'
import { script } from './script.ts'
import { timeRestriction } from './time-restriction.ts'
import { whiteIp } from './white-ip.ts'
import { wsSecurityDecrypt } from './ws-security-decrypt.ts'
import { wsSecurityEncrypt } from './ws-security-encrypt.ts'
import { wsSecurityFromTarget } from './ws-security-from-target.ts'
import { wsSecuritySign } from './ws-security-sign.ts'
import { wsSecuritySignValidation } from './ws-security-sign-validation.ts'
import { wsSecurityTimestamp } from './ws-security-timestamp.ts'
import { wsSecurityToTarget } from './ws-security-to-target.ts'
import { wsSecurityUsername } from './ws-security-username.ts'
import { xmlSchemaValidation } from './xml-schema-validation.ts'
import { xmlTransformation } from './xml-transformation.ts'

/** Types policy-group ... policy-xml-transformation, one file each beside this one. */
export const POLICY_TYPES_B: readonly PolicyTypeDefinition[] = [
  group,
  joseImplementation,
  joseValidation,
  jsonSchemaValidation,
  jsonTransformation,
  maxMessageSize,
  minMessageSize,
  oidc,
  redaction,
  requestProtocolTransformation,
  responseProtocolTransformation,
  samlValidation,
  script,
  timeRestriction,
  whiteIp,
  wsSecurityDecrypt,
  wsSecurityEncrypt,
  wsSecurityFromTarget,
  wsSecuritySignValidation,
  wsSecuritySign,
  wsSecurityTimestamp,
  wsSecurityToTarget,
  wsSecurityUsername,
  xmlSchemaValidation,
  xmlTransformation,
]
