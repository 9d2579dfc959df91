import { Type } from 'typebox'
import {
  bool,
  type ConnectionTypeDef,
  host,
  millis,
  oneOf,
  port,
  secret,
  text,
} from './definition.ts'
import { lower, orDefault } from './targets.ts'

const opt = Type.Optional

const FACILITIES = [
  'KERN',
  'USER',
  'MAIL',
  'DAEMON',
  'AUTH',
  'SYSLOG',
  'LPR',
  'NEWS',
  'UUCP',
  'CRON',
  'AUTHPRIV',
  'FTP',
  'NTP',
  'AUDIT',
  'ALERT',
  'CLOCK',
  'LOCAL0',
  'LOCAL1',
  'LOCAL2',
  'LOCAL3',
  'LOCAL4',
  'LOCAL5',
  'LOCAL6',
  'LOCAL7',
] as const
const SEVERITIES = [
  'EMERGENCY',
  'ALERT',
  'CRITICAL',
  'ERROR',
  'WARNING',
  'NOTICE',
  'INFORMATIONAL',
  'DEBUG',
] as const

export const syslog: ConnectionTypeDef = {
  type: 'syslog',
  fields: {
    syslogProtocolType: opt(oneOf(['TCP', 'UDP'])),
    // Cloud syslog services take their key in this field, so it is sealed like a password.
    syslogMessageHostname: opt(secret(255, 'Hostname sent in each message (may carry a key)')),
    syslogServerHostname: host(),
    syslogPort: opt(port()),
    syslogTimeout: opt(millis()),
    syslogMessageFormat: opt(oneOf(['RFC_3164', 'RFC_5424', 'RFC_5425'])),
    syslogAppName: opt(text(255)),
    syslogFacility: opt(oneOf(FACILITIES)),
    syslogSeverity: opt(oneOf(SEVERITIES)),
    syslogSslEnabled: opt(bool()),
  },
  target: {
    syslogServerHostname: lower,
    syslogPort: orDefault(514),
    syslogProtocolType: orDefault('TCP'),
  },
}
