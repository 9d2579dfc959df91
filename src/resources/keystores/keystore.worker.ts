import { X509Certificate } from 'node:crypto'
import jks from 'jks-js'
import forge from 'node-forge'
import { answerJobs } from '../../worker-pool.ts'

/*
 * Opening an uploaded keystore with its password, in a worker thread (see
 * src/worker-pool.ts): PKCS#12 through node-forge, JKS through jks-js, certificates
 * through node:crypto. The answer lists the entries; no key material leaves the thread.
 */

export const KEYSTORE_TYPES = ['JKS', 'PKCS12'] as const
export type KeystoreType = (typeof KEYSTORE_TYPES)[number]

export interface KeystoreJob {
  bytes: Uint8Array
  type: KeystoreType
  password: string
}

export interface KeystoreEntry {
  alias: string
  /** A private key with its certificate, or a certificate on its own. */
  kind: 'PRIVATE_KEY' | 'TRUSTED_CERTIFICATE'
  subjectDn: string | null
  issuerDn: string | null
  startDate: string | null
  endDate: string | null
  sha1Thumbprint: string | null
}

/** More aliases than any gateway keystore needs; bounds the answer's size. */
export const MAX_ENTRIES = 200

class Refused extends Error {}

function facts(der: Buffer | string | undefined) {
  if (der === undefined) {
    return { subjectDn: null, issuerDn: null, startDate: null, endDate: null, sha1Thumbprint: null }
  }
  const c = new X509Certificate(der)
  return {
    subjectDn: c.subject.split('\n').join(', '),
    issuerDn: c.issuer.split('\n').join(', '),
    startDate: new Date(c.validFrom).toISOString(),
    endDate: new Date(c.validTo).toISOString(),
    sha1Thumbprint: c.fingerprint,
  }
}

type Bag = forge.pkcs12.Bag & { asn1?: forge.asn1.Asn1 }

const bagId = (bag: Bag) => {
  const id = bag.attributes?.localKeyId?.[0]
  return typeof id === 'string' ? forge.util.bytesToHex(id) : undefined
}

function certDer(bag: Bag): Buffer {
  const asn1 = bag.asn1 ?? forge.pki.certificateToAsn1(bag.cert as forge.pki.Certificate)
  return Buffer.from(forge.asn1.toDer(asn1).getBytes(), 'binary')
}

function readPkcs12(bytes: Buffer, password: string): KeystoreEntry[] {
  let p12: forge.pkcs12.Pkcs12Pfx
  try {
    const asn1 = forge.asn1.fromDer(forge.util.createBuffer(bytes.toString('binary')), true)
    p12 = forge.pkcs12.pkcs12FromAsn1(asn1, true, password)
  } catch (error) {
    const message = (error as Error).message ?? ''
    if (/password|MAC/i.test(message)) {
      throw new Refused('cannot be opened with this password (wrong password?)')
    }
    throw new Refused('is not a PKCS#12 keystore that can be read (corrupt, or of another type?)')
  }
  const bags = p12.safeContents.flatMap((s) => s.safeBags) as Bag[]
  const keyTypes = [forge.pki.oids.pkcs8ShroudedKeyBag, forge.pki.oids.keyBag]
  const keys = bags.filter((b) => keyTypes.includes(b.type))
  const certs = bags.filter((b) => b.type === forge.pki.oids.certBag)
  const used = new Set<Bag>()
  const entries: KeystoreEntry[] = keys.map((key, i) => {
    const cert =
      certs.find((c) => bagId(c) !== undefined && bagId(c) === bagId(key)) ??
      (keys.length === 1 ? certs[0] : undefined)
    if (cert) used.add(cert)
    return {
      alias:
        key.attributes?.friendlyName?.[0] ?? cert?.attributes?.friendlyName?.[0] ?? `key-${i + 1}`,
      kind: 'PRIVATE_KEY',
      ...facts(cert ? certDer(cert) : undefined),
    }
  })
  certs.forEach((cert, i) => {
    if (used.has(cert)) return
    entries.push({
      alias: cert.attributes?.friendlyName?.[0] ?? `certificate-${i + 1}`,
      kind: 'TRUSTED_CERTIFICATE',
      ...facts(certDer(cert)),
    })
  })
  return entries
}

function readJks(bytes: Buffer, password: string): KeystoreEntry[] {
  // jks-js also opens PKCS#12 files; the stored type must say what the file is.
  if (bytes.length < 4 || bytes.readUInt32BE(0) !== 0xfeedfeed) {
    throw new Refused(
      'is not a JKS keystore (no JKS header); a PKCS#12 file is sent with type PKCS12',
    )
  }
  let content: ReturnType<typeof jks.toPem>
  try {
    content = jks.toPem(bytes, password)
  } catch (error) {
    if (/password/i.test((error as Error).message ?? '')) {
      throw new Refused('cannot be opened with this password (wrong password?)')
    }
    throw new Refused('is not a JKS keystore that can be read (corrupt, or of another type?)')
  }
  return Object.entries(content).map(([alias, entry]) => ({
    alias,
    kind: entry.key === undefined ? 'TRUSTED_CERTIFICATE' : 'PRIVATE_KEY',
    ...facts(entry.cert ?? entry.ca),
  }))
}

function open({ bytes, type, password }: KeystoreJob): KeystoreEntry[] {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const entries = type === 'PKCS12' ? readPkcs12(buffer, password) : readJks(buffer, password)
  if (entries.length === 0) throw new Refused('holds no entries')
  if (entries.length > MAX_ENTRIES) {
    throw new Refused(`holds ${entries.length} entries, more than the ${MAX_ENTRIES} taken here`)
  }
  return entries.sort((a, b) => a.alias.localeCompare(b.alias))
}

answerJobs(open, (error) =>
  error instanceof Refused ? error.message : 'is not a keystore that can be read',
)
