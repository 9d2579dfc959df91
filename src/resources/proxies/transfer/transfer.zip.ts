import yazl from 'yazl'

/** Writes entries into a ZIP in memory (an export is small: a spec and a few JSON files). */
export function writeZip(entries: Map<string, Uint8Array>, mtime: Date): Promise<Buffer> {
  const zip = new yazl.ZipFile()
  for (const [name, bytes] of entries) {
    zip.addBuffer(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), name, {
      mtime,
      mode: 0o100644,
    })
  }
  zip.end()
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    zip.outputStream.on('data', (chunk: Buffer) => chunks.push(chunk))
    zip.outputStream.on('end', () => resolve(Buffer.concat(chunks)))
    zip.outputStream.on('error', reject)
  })
}
