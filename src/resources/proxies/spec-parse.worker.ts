import { parentPort } from 'node:worker_threads'
import { parseSpec, type SpecKind, SpecProblem } from './spec-parse.ts'
import { readZip, type ZipOptions } from './spec-zip.ts'

/**
 * A document for a spec-parse worker to read, or an archive (a proxy export) to unpack
 * under the same memory and time limits; it answers each with one message.
 */
export type ParseJob =
  | { bytes: Uint8Array; kind: SpecKind }
  | { bytes: Uint8Array; kind: 'ARCHIVE'; zip: ZipOptions }

async function answer(job: ParseJob) {
  if (job.kind === 'ARCHIVE') return { ok: true, files: await readZip(job.bytes, job.zip) }
  return { ok: true, spec: await parseSpec(job.bytes, job.kind) }
}

parentPort?.on('message', async (job: ParseJob) => {
  try {
    parentPort?.postMessage(await answer(job))
  } catch (error) {
    const problem =
      error instanceof SpecProblem ? error.message : 'the document could not be read as a spec'
    parentPort?.postMessage({ ok: false, problem })
  }
})
// Loaded: from here on, the parent's clock measures parsing only.
parentPort?.postMessage('ready')
