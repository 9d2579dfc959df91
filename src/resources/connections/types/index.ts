import { activeMq } from './activemq.ts'
import { database } from './database.ts'
import type { ConnectionTypeDef } from './definition.ts'
import { elasticsearch } from './elasticsearch.ts'
import { email } from './email.ts'
import { ftp } from './ftp.ts'
import { graylog } from './graylog.ts'
import { kafka } from './kafka.ts'
import { ldap } from './ldap.ts'
import { linuxScript } from './linux-script.ts'
import { logback } from './logback.ts'
import { rabbitMq } from './rabbitmq.ts'
import { snmp } from './snmp.ts'
import { syslog } from './syslog.ts'
import { webhook } from './webhook.ts'

/** Every documented connection type, by its discriminator. */
export const CONNECTION_TYPE_DEFS: readonly ConnectionTypeDef[] = [
  activeMq,
  database,
  elasticsearch,
  email,
  ftp,
  graylog,
  kafka,
  ldap,
  linuxScript,
  logback,
  rabbitMq,
  snmp,
  syslog,
  webhook,
]

export const CONNECTION_TYPES = CONNECTION_TYPE_DEFS.map((d) => d.type)

const BY_TYPE = new Map(CONNECTION_TYPE_DEFS.map((d) => [d.type, d]))

export function typeDef(type: string): ConnectionTypeDef {
  const def = BY_TYPE.get(type)
  if (!def) throw new Error(`unknown connection type ${type}`)
  return def
}
