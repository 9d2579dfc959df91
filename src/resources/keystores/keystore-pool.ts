import type { WorkerPool } from '../../worker-pool.ts'
import type {
  AliasMaterial,
  KeystoreAnswer,
  KeystoreEntry,
  KeystoreJob,
} from './keystore.worker.ts'

/*
 * One pool opens keystores for both of its jobs (list the entries, read one alias), so
 * the server-wide bound on parses holds for both; these say which answer each job has.
 */

export type KeystorePool = WorkerPool<KeystoreJob, KeystoreAnswer>

export type OpenJob = Omit<KeystoreJob, 'alias'>

/** The entries of a keystore; what is wrong with the file is a 400 on `field`. */
export async function listEntries(
  pool: KeystorePool,
  job: OpenJob,
  field: string,
): Promise<KeystoreEntry[]> {
  return (await pool.run(job, field)) as KeystoreEntry[]
}

/** One entry's key and certificate; what is wrong is a 400 on `field`. */
export async function readAlias(
  pool: KeystorePool,
  job: OpenJob,
  alias: string,
  field: string,
): Promise<AliasMaterial> {
  return (await pool.run({ ...job, alias }, field)) as AliasMaterial
}
