import { Reader, type Response } from 'mmdb-lib'
import { answerJobs } from '../../worker-pool.ts'

/** A MaxMind database to check; answered with its metadata or what is wrong with it. */
export interface MmdbJob {
  bytes: Uint8Array
}

export interface MmdbFacts {
  databaseType: string
  ipVersion: number
  nodeCount: number
  recordSize: number
  buildEpoch: string
  languages: string[]
}

class NotMmdb extends Error {}

/**
 * Reads the metadata (mmdb-lib's Reader), then checks that the search tree it declares
 * fits before the metadata and that a lookup walks it: a truncated or forged file is
 * refused here, not found out by the gateway on its first request.
 */
function check({ bytes }: MmdbJob): MmdbFacts {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  let reader: Reader<Response>
  try {
    reader = new Reader(buffer)
  } catch (error) {
    throw new NotMmdb(`is not a MaxMind database (${(error as Error).message})`)
  }
  const m = reader.metadata
  if (![4, 6].includes(m.ipVersion)) throw new NotMmdb(`declares IP version ${m.ipVersion}`)
  if (m.binaryFormatMajorVersion !== 2) {
    throw new NotMmdb(`has binary format ${m.binaryFormatMajorVersion}; version 2 is supported`)
  }
  if (!Number.isInteger(m.nodeCount) || m.searchTreeSize + 16 > buffer.length) {
    throw new NotMmdb('declares a search tree larger than the file (truncated?)')
  }
  try {
    reader.get(m.ipVersion === 6 ? '2001:db8::1' : '192.0.2.1')
  } catch (error) {
    throw new NotMmdb(`cannot be searched (${(error as Error).message})`)
  }
  return {
    databaseType: String(m.databaseType).slice(0, 200),
    ipVersion: m.ipVersion,
    nodeCount: m.nodeCount,
    recordSize: m.recordSize,
    buildEpoch: m.buildEpoch.toISOString(),
    languages: (m.languages ?? []).map(String).slice(0, 50),
  }
}

answerJobs(check, (error) =>
  error instanceof NotMmdb ? error.message : 'is not a MaxMind database that can be read',
)
