import { createPrivateKey, X509Certificate } from 'node:crypto'
import jks from 'jks-js'
import forge from 'node-forge'
import { answerJobs } from '../../worker-pool.ts'

/*
 * Opening an uploaded keystore with its password, in a worker thread (see
 * src/worker-pool.ts): PKCS#12 through node-forge, JKS through jks-js, certificates
 * through node:crypto. A job lists the entries, or, given an alias, answers that one
 * entry's key (PKCS#8 DER) and certificate, which a JWK is made from; a listing carries
 * no key material.
 */

export const KEYSTORE_TYPES = ['JKS', 'PKCS12'] as const
export type KeystoreType = (typeof KEYSTORE_TYPES)[number]

export interface KeystoreJob {
  bytes: Uint8Array
  type: KeystoreType
  password: string
  /** Set: answer this entry's material (AliasMaterial) instead of the list. */
  alias?: string | undefined
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

/** One entry's material: what a JWK is made from. */
export interface AliasMaterial {
  alias: string
  /** The private key as PKCS#8 DER; null for a certificate entry. */
  privateKey: Uint8Array | null
  /** The entry's (first) certificate as DER; null when it has none. */
  certificate: Uint8Array | null
}

export type KeystoreAnswer = KeystoreEntry[] | AliasMaterial

/** More aliases than any gateway keystore needs; bounds the answer's size. */
export const MAX_ENTRIES = 200

class Refused extends Error {}

/** An entry as read, its key decoded only when asked for. */
interface Opened {
  entry: KeystoreEntry
  key: () => Buffer | null
  certificate: Buffer | undefined
}

function facts(der: Buffer | undefined) {
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

const derOf = (asn1: forge.asn1.Asn1) => Buffer.from(forge.asn1.toDer(asn1).getBytes(), 'binary')

function certDer(bag: Bag): Buffer {
  return derOf(bag.asn1 ?? forge.pki.certificateToAsn1(bag.cert as forge.pki.Certificate))
}

/** node-forge decodes RSA keys only; others stay the PrivateKeyInfo it read. */
function keyDer(bag: Bag): Buffer {
  if (bag.asn1) return derOf(bag.asn1)
  const rsa = forge.pki.privateKeyToAsn1(bag.key as forge.pki.PrivateKey)
  return derOf(forge.pki.wrapRsaPrivateKey(rsa))
}

function readPkcs12(bytes: Buffer, password: string): Opened[] {
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
  const opened: Opened[] = keys.map((key, i) => {
    const cert =
      certs.find((c) => bagId(c) !== undefined && bagId(c) === bagId(key)) ??
      (keys.length === 1 ? certs[0] : undefined)
    if (cert) used.add(cert)
    const certificate = cert ? certDer(cert) : undefined
    return {
      entry: {
        alias:
          key.attributes?.friendlyName?.[0] ??
          cert?.attributes?.friendlyName?.[0] ??
          `key-${i + 1}`,
        kind: 'PRIVATE_KEY',
        ...facts(certificate),
      },
      key: () => keyDer(key),
      certificate,
    }
  })
  certs.forEach((cert, i) => {
    if (used.has(cert)) return
    const certificate = certDer(cert)
    opened.push({
      entry: {
        alias: cert.attributes?.friendlyName?.[0] ?? `certificate-${i + 1}`,
        kind: 'TRUSTED_CERTIFICATE',
        ...facts(certificate),
      },
      key: () => null,
      certificate,
    })
  })
  return opened
}

/** The first certificate of a PEM chain, as DER. */
function firstPem(pem: string | undefined): Buffer | undefined {
  return pem === undefined ? undefined : Buffer.from(new X509Certificate(pem).raw)
}

function readJks(bytes: Buffer, password: string): Opened[] {
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
  return Object.entries(content).map(([alias, entry]) => {
    const certificate = firstPem(entry.cert ?? entry.ca)
    const pem = entry.key
    return {
      entry: {
        alias,
        kind: pem === undefined ? 'TRUSTED_CERTIFICATE' : 'PRIVATE_KEY',
        ...facts(certificate),
      },
      key: () =>
        pem === undefined
          ? null
          : (createPrivateKey(pem).export({ type: 'pkcs8', format: 'der' }) as Buffer),
      certificate,
    }
  })
}

/** The entry's key and certificate; what cannot be read is the alias's problem. */
function material(found: Opened): AliasMaterial {
  let key: Buffer | null
  try {
    key = found.key()
  } catch {
    throw new Refused(`holds a key under alias '${found.entry.alias}' that cannot be read`)
  }
  return {
    alias: found.entry.alias,
    privateKey: key === null ? null : new Uint8Array(key),
    certificate: found.certificate === undefined ? null : new Uint8Array(found.certificate),
  }
}

function open({ bytes, type, password, alias }: KeystoreJob): KeystoreAnswer {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const opened = type === 'PKCS12' ? readPkcs12(buffer, password) : readJks(buffer, password)
  if (opened.length === 0) throw new Refused('holds no entries')
  if (opened.length > MAX_ENTRIES) {
    throw new Refused(`holds ${opened.length} entries, more than the ${MAX_ENTRIES} taken here`)
  }
  if (alias !== undefined) {
    const found = opened.find((o) => o.entry.alias === alias)
    if (!found) throw new Refused(`has no entry under alias '${alias}'`)
    return material(found)
  }
  return opened.map((o) => o.entry).sort((a, b) => a.alias.localeCompare(b.alias))
}

answerJobs(open, (error) =>
  error instanceof Refused ? error.message : 'is not a keystore that can be read',
)
