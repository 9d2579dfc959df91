import { createHash } from 'node:crypto'
import type { Queryable } from '../../db/types.ts'
import type { SpecKind } from './spec-types.ts'
import { isZip } from './spec-zip.ts'

/*
 * The spec document a proxy was made from, kept as it arrived (uploaded or fetched) so
 * an export can carry it and an import elsewhere needs no fetch. Parsing stays in the
 * spec-parse worker; this only names, hashes and stores the bytes.
 */

export type DocumentKind = SpecKind | 'ZIP'

export interface SpecDocument {
  bytes: Uint8Array
  fileName: string
  contentType: string
  kind: DocumentKind
}

/** What the bytes look like, when the sender did not say (a fetch, or application/octet-stream). */
function sniffContentType(bytes: Uint8Array, kind: SpecKind): string {
  if (isZip(bytes)) return 'application/zip'
  const first = Buffer.from(bytes.subarray(0, 64)).toString('utf8').trimStart()[0]
  if (first === '{' || first === '[') return 'application/json'
  if (first === '<' || kind === 'WSDL') return 'text/xml'
  return 'application/yaml'
}

const EXTENSIONS: Record<string, string> = {
  'application/zip': 'zip',
  'application/json': 'json',
  'text/xml': 'wsdl',
  'application/yaml': 'yaml',
}

/** A file name safe to be a ZIP entry: its last segment, plain characters only. */
export function safeFileName(name: string | undefined, fallback: string): string {
  const last = (name ?? '').split(/[\\/]/).pop() ?? ''
  const plain = last.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '')
  return plain.length > 0 ? plain.slice(0, 200) : fallback
}

/**
 * Describes a document about to be parsed. Copies the bytes: the parser moves its own
 * buffer to the worker thread, which empties the caller's view.
 */
export function describeDocument(
  bytes: Uint8Array,
  kind: SpecKind,
  given: { fileName?: string | undefined; contentType?: string | undefined },
): SpecDocument {
  const sniffed = sniffContentType(bytes, kind)
  const contentType =
    given.contentType && given.contentType !== 'application/octet-stream'
      ? given.contentType.slice(0, 200)
      : sniffed
  const fileName = safeFileName(given.fileName, `spec.${EXTENSIONS[sniffed] ?? 'txt'}`)
  return {
    bytes: new Uint8Array(bytes),
    fileName,
    contentType,
    kind: kind === 'WSDL' && isZip(bytes) ? 'ZIP' : kind,
  }
}

export const sha256Hex = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex')

/** The URL's last path segment, as the name of a fetched document. */
export function fileNameOfUrl(url: string): string | undefined {
  try {
    return new URL(url).pathname.split('/').filter(Boolean).pop()
  } catch {
    return undefined
  }
}

/** Makes this the proxy's spec document (none: it has none). */
export async function storeSpecDocument(
  db: Queryable,
  proxyId: string,
  document: SpecDocument | null,
  now: string,
): Promise<void> {
  await db.deleteFrom('proxy_spec_files').where('proxy_id', '=', proxyId).execute()
  if (!document) return
  await db
    .insertInto('proxy_spec_files')
    .values({
      proxy_id: proxyId,
      file_name: document.fileName,
      content_type: document.contentType,
      kind: document.kind,
      sha256: sha256Hex(document.bytes),
      size: document.bytes.byteLength,
      content: Buffer.from(
        document.bytes.buffer,
        document.bytes.byteOffset,
        document.bytes.byteLength,
      ),
      stored_at: now,
    })
    .execute()
}

export async function specDocumentOf(
  db: Queryable,
  proxyId: string,
): Promise<(SpecDocument & { sha256: string }) | null> {
  const row = await db
    .selectFrom('proxy_spec_files')
    .selectAll()
    .where('proxy_id', '=', proxyId)
    .executeTakeFirst()
  if (!row) return null
  return {
    bytes: new Uint8Array(row.content),
    fileName: row.file_name,
    contentType: row.content_type,
    kind: row.kind as DocumentKind,
    sha256: row.sha256,
  }
}
