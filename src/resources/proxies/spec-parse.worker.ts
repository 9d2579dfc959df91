import { answerJobs } from '../../worker-pool.ts'
import { parseSpec, type SpecKind, SpecProblem } from './spec-parse.ts'

/** A document for a spec-parse worker to read; it answers each with one message. */
export interface ParseJob {
  bytes: Uint8Array
  kind: SpecKind
}

answerJobs(
  (job: ParseJob) => parseSpec(job.bytes, job.kind),
  (error) =>
    error instanceof SpecProblem ? error.message : 'the document could not be read as a spec',
)
