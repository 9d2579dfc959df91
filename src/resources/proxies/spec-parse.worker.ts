import { parentPort } from 'node:worker_threads'
import { parseSpec, type SpecKind, SpecProblem } from './spec-parse.ts'

/** A document for a spec-parse worker to read; it answers each with one message. */
export interface ParseJob {
  bytes: Uint8Array
  kind: SpecKind
}

parentPort?.on('message', async (job: ParseJob) => {
  try {
    parentPort?.postMessage({ ok: true, spec: await parseSpec(job.bytes, job.kind) })
  } catch (error) {
    const problem =
      error instanceof SpecProblem ? error.message : 'the document could not be read as a spec'
    parentPort?.postMessage({ ok: false, problem })
  }
})
// Loaded: from here on, the parent's clock measures parsing only.
parentPort?.postMessage('ready')
