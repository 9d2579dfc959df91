import { answerJobs } from '../../worker-pool.ts'
import { type ImportedSpec, parseSpec, type SpecKind, SpecProblem } from './spec-parse.ts'
import { readZip, type ZipOptions } from './spec-zip.ts'

/**
 * A document for a spec-parse worker to read, or an archive (a proxy export) to unpack
 * under the same memory and time limits; it answers each with one message.
 */
export type ParseJob =
  | { bytes: Uint8Array; kind: SpecKind }
  | { bytes: Uint8Array; kind: 'ARCHIVE'; zip: ZipOptions }

export type ParseValue = ImportedSpec | Map<string, Uint8Array>

answerJobs(
  (job: ParseJob): Promise<ParseValue> =>
    job.kind === 'ARCHIVE' ? readZip(job.bytes, job.zip) : parseSpec(job.bytes, job.kind),
  (error) =>
    error instanceof SpecProblem ? error.message : 'the document could not be read as a spec',
)
