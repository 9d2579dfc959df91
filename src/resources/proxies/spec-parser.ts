import { errors } from '../../errors.ts'
import { WorkerPool, type WorkerPoolLimits, workerModule } from '../../worker-pool.ts'
import type { ImportedSpec, SpecKind } from './spec-parse.ts'
import type { ParseJob, ParseValue } from './spec-parse.worker.ts'
import type { ZipOptions } from './spec-zip.ts'

/*
 * Specs are parsed in worker threads (src/worker-pool.ts): a 5 MB YAML spec took 207 s
 * on the event loop, stalling every request.
 */

export type SpecParserLimits = WorkerPoolLimits

export class SpecParser {
  private readonly pool: WorkerPool<ParseJob, ParseValue>

  constructor(limits: SpecParserLimits) {
    this.pool = new WorkerPool({
      ...limits,
      url: workerModule(import.meta.url, 'spec-parse.worker'),
      name: 'spec-parse',
      busy: errors.specImportsBusy,
      advice: 'import a smaller document',
    })
  }

  /** Threads alive now, busy or idle (for tests and metrics). */
  get threadCount(): number {
    return this.pool.threadCount
  }

  /**
   * Reads a spec off the event loop. `bytes` moves to the thread (the caller's view is
   * emptied); what is wrong with the document is a 400 on `field`.
   */
  async parse(bytes: Uint8Array, kind: SpecKind, field: string): Promise<ImportedSpec> {
    return (await this.pool.run({ bytes, kind }, field)) as ImportedSpec
  }

  /**
   * Unpacks an archive (a proxy export) off the event loop, in the same threads and
   * under the same limits as a spec; what is unsafe about it is a 400 on `field`.
   */
  async readArchive(
    bytes: Uint8Array,
    zip: ZipOptions,
    field: string,
  ): Promise<Map<string, Uint8Array>> {
    return (await this.pool.run({ bytes, kind: 'ARCHIVE', zip }, field)) as Map<string, Uint8Array>
  }

  /** Ends every thread, busy or idle (server shutdown). */
  close(): Promise<void> {
    return this.pool.close()
  }
}
