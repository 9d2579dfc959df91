import { Type } from 'typebox'
import { matching } from '../../../http/schemas.ts'
import {
  type Body,
  bool,
  type ConnectionTypeDef,
  int,
  issue,
  millis,
  noPasswordInUrl,
  oneOf,
  port,
  present,
  secret,
  text,
} from './definition.ts'
import { exact, lower } from './targets.ts'

const opt = Type.Optional

const DATABASE_TYPES = [
  'ORACLE',
  'MYSQL',
  'POSTGRES',
  'SQL_SERVER',
  'SYBASE',
  'DB2',
  'APACHE_HIVE',
  'APACHE_IMPALA',
  'MONGODB',
  'TRINO',
] as const

const pool = () => int(0, 10_000)

function check(body: Body) {
  const issues = noPasswordInUrl(body, 'jdbcUrl')
  // The create page's example names a host instead of a JDBC URL; one of them says where.
  if (!present(body.jdbcUrl) && !present(body.host)) {
    issues.push(issue('jdbcUrl', 'is required (or host): nothing says where the database is'))
  }
  if (present(body.password) && body.useCredentials !== false && !present(body.username)) {
    issues.push(issue('username', 'is required when a password is set'))
  }
  return issues
}

export const database: ConnectionTypeDef = {
  type: 'database',
  fields: {
    dbType: opt(oneOf(DATABASE_TYPES)),
    jdbcUrl: opt(
      Type.Unsafe<string | null>({
        type: ['string', 'null'],
        maxLength: 2048,
        ...matching(
          '^jdbc:[A-Za-z0-9]+:\\S+$',
          'must be a JDBC URL, like jdbc:postgresql://host:5432/db',
        ),
      }),
    ),
    useCredentials: opt(bool()),
    username: opt(text(256)),
    databaseName: opt(text(256)),
    password: opt(secret(1024)),
    initialPoolSize: opt(pool()),
    minPoolSize: opt(pool()),
    maxPoolSize: opt(int(1, 10_000)),
    incrementCount: opt(pool()),
    maxStatements: opt(int(0, 1_000_000)),
    idleConnectionTestPeriod: opt(millis()),
    connectionTimeout: opt(millis()),
    testConnectionOnCheckout: opt(bool()),
    testConnectionOnCheckin: opt(bool()),
    maxConnectionAge: opt(millis()),
    maxIdleTime: opt(millis()),
    selectedEnvironmentId: opt(text(100)),
    host: opt(text(253)),
    port: opt(port()),
    driverClassName: opt(text(256)),
  },
  target: { jdbcUrl: exact, host: lower, port: exact },
  check,
}
