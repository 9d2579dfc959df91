import { Type } from 'typebox'
import { matching } from '../../../http/schemas.ts'
import {
  type Body,
  bool,
  type ConnectionTypeDef,
  int,
  list,
  millis,
  oneOf,
  required,
  requiredWhen,
  secret,
  stringMap,
  text,
} from './definition.ts'
import { lower } from './targets.ts'

const opt = Type.Optional

const PRIVACY = [
  'PrivAES128',
  'PrivAES192',
  'PrivAES192with3DES',
  'PrivAES256',
  'PrivAES256with3DES',
  'PrivDES',
  'Priv3DES',
] as const
const AUTHENTICATION = [
  'AuthMD5',
  'AuthSHA',
  'AuthHMAC128SHA224',
  'AuthHMAC192SHA256',
  'AuthHMAC256SHA384',
  'AuthHMAC384SHA512',
] as const
const OID = matching('^[0-2](\\.[0-9]+)+$', 'must be an OID, like 1.3.6.1.4.1.12345.1.1')

function check(body: Body) {
  const level = body.securityLevel
  const auth = level === 'AUTH_NOPRIV' || level === 'AUTH_PRIV'
  return [
    ...requiredWhen(
      body,
      auth,
      `when securityLevel is ${level}`,
      'usmUserAuthenticationProtocol',
      'authPassphrase',
    ),
    ...requiredWhen(
      body,
      level === 'AUTH_PRIV',
      'when securityLevel is AUTH_PRIV',
      'usmUserPrivacyProtocol',
      'privPassphrase',
    ),
    ...requiredWhen(
      body,
      body.enableUserAuthentication === true,
      'when enableUserAuthentication is true',
      'securityName',
    ),
  ]
}

export const snmp: ConnectionTypeDef = {
  type: 'snmp',
  fields: {
    version: oneOf(['V1', 'V2c', 'V3'], { nullable: false }),
    connectionString: Type.String({
      maxLength: 300,
      ...matching(
        '^(udp|tcp):[^\\s/]+/[0-9]{1,5}$',
        'must be protocol:host/port, like udp:192.168.1.2/162',
      ),
    }),
    securityOrCommunityName: required(255),
    retryCount: opt(int(0, 100)),
    timeout: opt(millis()),
    messageType: opt(oneOf(['TRAP', 'INFORM'])),
    securityLevel: opt(oneOf(['NOAUTH_NOPRIV', 'AUTH_NOPRIV', 'AUTH_PRIV'])),
    privacyProtocolList: opt(list(oneOf(PRIVACY, { nullable: false }), 7)),
    enableUserAuthentication: opt(bool()),
    securityName: opt(text(255)),
    usmUserAuthenticationProtocol: opt(oneOf(AUTHENTICATION)),
    authPassphrase: opt(secret(1024)),
    usmUserPrivacyProtocol: opt(oneOf(PRIVACY)),
    privPassphrase: opt(secret(1024)),
    pduOidForMessage: Type.String({ maxLength: 255, ...OID }),
    pduOidForTime: opt(
      Type.Unsafe<string | null>({ type: ['string', 'null'], maxLength: 255, ...OID }),
    ),
    pduVariableMap: opt(stringMap('OID to value')),
  },
  target: { connectionString: lower },
  // The SNMP v1 example spells these two ways; both are read as the field the table names.
  aliases: {
    enabledUserAuthentication: 'enableUserAuthentication',
    pduUdpForMessage: 'pduOidForMessage',
    pduUdpForTime: 'pduOidForTime',
  },
  check,
}
