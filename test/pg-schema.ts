import { randomBytes } from 'node:crypto'
import pg from 'pg'

/** PostgreSQL schemas of their own, so tests and bench runs never see each other's rows. */

/** A PostgreSQL URL whose sessions use `schema`; `port` points it at a relay instead. */
export function schemaUrl(
  pgUrl: string,
  schema: string,
  options: { port?: number; connectTimeoutSeconds?: number } = {},
): string {
  const url = new URL(pgUrl)
  url.searchParams.set('options', `-c search_path=${schema}`)
  if (options.port !== undefined) {
    url.hostname = '127.0.0.1'
    url.port = String(options.port)
  }
  if (options.connectTimeoutSeconds !== undefined)
    url.searchParams.set('connect_timeout', String(options.connectTimeoutSeconds))
  return url.toString()
}

async function run(pgUrl: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: pgUrl })
  await client.connect()
  try {
    await client.query(statement)
  } finally {
    await client.end()
  }
}

export interface ThrowawaySchema {
  name: string
  /** The server's URL with search_path set to the schema. */
  url: string
  drop(): Promise<void>
}

export async function createThrowawaySchema(
  pgUrl: string,
  prefix: string,
): Promise<ThrowawaySchema> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`
  await run(pgUrl, `CREATE SCHEMA ${name}`)
  return {
    name,
    url: schemaUrl(pgUrl, name),
    drop: () => run(pgUrl, `DROP SCHEMA IF EXISTS ${name} CASCADE`),
  }
}
