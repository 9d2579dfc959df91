import yauzl, { type Entry, type ZipFile } from 'yauzl'
import { SpecProblem } from './spec-types.ts'

/*
 * A ZIP of a WSDL and the documents it imports, read with yauzl in the spec-parse
 * worker. An archive is a small description of how much to write, so it is judged
 * before anything is inflated: entry count, each entry's declared size and ratio, and
 * the total, from the central directory; then while inflating, the bytes actually
 * produced (yauzl also refuses an entry whose data does not match its declared size).
 * Names must be plain relative paths; symlinks, encrypted entries and archives inside
 * the archive are refused. Nothing is written to disk: the entries become a map of
 * path to bytes.
 */

export const ZIP_LIMITS = {
  entries: 500,
  entryBytes: 10 * 1024 * 1024,
  totalBytes: 25 * 1024 * 1024,
  /** Inflated / compressed, checked for entries over ratioFloorBytes (small text compresses well). */
  ratio: 100,
  ratioFloorBytes: 1024 * 1024,
} as const

export type ZipLimits = { readonly [K in keyof typeof ZIP_LIMITS]: number }

/** How one kind of archive is read: its limits, and where (if anywhere) an archive may sit inside it. */
export interface ZipOptions {
  limits: ZipLimits
  /** Entries under this folder may be archives themselves (a proxy export's WSDL ZIP spec). */
  archivesUnder?: string
}

const SPEC_ZIP: ZipOptions = { limits: ZIP_LIMITS }

const NESTED_ARCHIVE = /\.(zip|jar|war|ear|tar|tgz|gz|bz2|xz|7z|rar)$/i
const S_IFMT = 0o170000
const S_IFLNK = 0o120000

export function isZip(bytes: Uint8Array): boolean {
  return bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04
}

const unsafe = (what: string) => new SpecProblem(`the ZIP archive ${what}`)

/** Refuses an entry on its central-directory record alone, before inflating it. */
function judge(entry: Entry, total: number, options: ZipOptions): void {
  const name = entry.fileName
  const limits = options.limits
  const mode = (entry.externalFileAttributes >>> 16) & S_IFMT
  if (mode === S_IFLNK) throw unsafe(`holds a symbolic link (${name}); send the files themselves`)
  if (entry.isEncrypted()) throw unsafe(`holds an encrypted entry (${name})`)
  if (NESTED_ARCHIVE.test(name) && !mayNest(name, options)) {
    throw unsafe(`holds another archive (${name}); send one flat archive`)
  }
  if (entry.uncompressedSize > limits.entryBytes) {
    throw unsafe(
      `entry ${name} inflates to ${entry.uncompressedSize} bytes, more than the ${limits.entryBytes}-byte limit per entry`,
    )
  }
  if (
    entry.uncompressedSize > limits.ratioFloorBytes &&
    entry.uncompressedSize > limits.ratio * Math.max(1, entry.compressedSize)
  ) {
    throw unsafe(
      `entry ${name} inflates more than ${limits.ratio} times its compressed size (a zip bomb?)`,
    )
  }
  if (total + entry.uncompressedSize > limits.totalBytes) {
    throw unsafe(`inflates to more than ${limits.totalBytes} bytes in all, the limit`)
  }
}

const mayNest = (name: string, options: ZipOptions) =>
  options.archivesUnder !== undefined && name.startsWith(options.archivesUnder)

async function inflate(zip: ZipFile, entry: Entry, options: ZipOptions): Promise<Uint8Array> {
  const stream = await zip.openReadStreamPromise(entry)
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    size += chunk.byteLength
    // yauzl checks the declared size too; this holds even if that check changed.
    if (size > entry.uncompressedSize) {
      stream.destroy()
      throw unsafe(`entry ${entry.fileName} inflates to more than it declares`)
    }
    chunks.push(chunk)
  }
  const bytes = new Uint8Array(Buffer.concat(chunks, size))
  if (isZip(bytes) && !mayNest(entry.fileName, options))
    throw unsafe(`holds another archive (${entry.fileName}); send one flat archive`)
  return bytes
}

/** yauzl's own refusals (bad names, bad sizes, not a ZIP), in words for the caller. */
function translate(error: unknown): SpecProblem {
  if (error instanceof SpecProblem) return error
  const message = error instanceof Error ? error.message : String(error)
  if (/absolute path|invalid relative path|invalid characters in fileName/.test(message)) {
    return unsafe(
      `has an entry whose name is not a plain relative path (${message.slice(0, 200)}); entries may not start with / or a drive, nor contain .. or \\`,
    )
  }
  return unsafe(`could not be read (${message.slice(0, 200)})`)
}

function nextEntry(zip: ZipFile): Promise<Entry | null> {
  return new Promise((resolve, reject) => {
    const onEntry = (e: Entry) => settle(() => resolve(e))
    const onEnd = () => settle(() => resolve(null))
    const onError = (e: Error) => settle(() => reject(e))
    const settle = (finish: () => void) => {
      zip.off('entry', onEntry).off('end', onEnd).off('error', onError)
      finish()
    }
    zip.on('entry', onEntry).on('end', onEnd).on('error', onError)
    zip.readEntry()
  })
}

/** Every entry judged first (so the total is known before any inflating), then inflated. */
async function entries(zip: ZipFile, options: ZipOptions): Promise<Map<string, Uint8Array>> {
  const files: Entry[] = []
  let total = 0
  for (let entry = await nextEntry(zip); entry; entry = await nextEntry(zip)) {
    // Directories, and the resource forks macOS adds to archives it makes.
    if (entry.fileName.endsWith('/') || entry.fileName.startsWith('__MACOSX/')) continue
    judge(entry, total, options)
    total += entry.uncompressedSize
    files.push(entry)
  }
  const read = new Map<string, Uint8Array>()
  for (const entry of files) read.set(entry.fileName, await inflate(zip, entry, options))
  return read
}

/** The archive's files by path; throws a SpecProblem naming the first thing that is unsafe. */
export async function readZip(
  bytes: Uint8Array,
  options: ZipOptions = SPEC_ZIP,
): Promise<Map<string, Uint8Array>> {
  let zip: ZipFile | undefined
  try {
    zip = await yauzl.fromBufferPromise(
      Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
      {
        lazyEntries: true,
        autoClose: false,
        decodeStrings: true,
        validateEntrySizes: true,
        strictFileNames: true,
      },
    )
    const most = options.limits.entries
    if (zip.entryCount > most) {
      throw unsafe(`holds ${zip.entryCount} entries, more than the limit of ${most}`)
    }
    return await entries(zip, options)
  } catch (error) {
    throw translate(error)
  } finally {
    // A buffer-backed archive holds no descriptor; closing one already closed throws.
    try {
      zip?.close()
    } catch {}
  }
}
