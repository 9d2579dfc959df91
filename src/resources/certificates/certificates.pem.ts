import { createPrivateKey, type KeyObject, X509Certificate } from 'node:crypto'
import { errors } from '../../errors.ts'

/**
 * Reading uploaded PEM text with node:crypto, and saying precisely why it is refused.
 * Every failure is a 400 validation_failed naming the form field, with a message a
 * person can act on (which block was found instead, how to convert, what expired when).
 */

/** Column bounds of the certificates table: longer values are refused, not truncated. */
const MAX = { subject: 2000, issuer: 2000, serialNumber: 128 }

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g
const BASE64_BODY = /^[A-Za-z0-9+/=\s]*$/

interface PemBlock {
  label: string
  text: string
}

function blocksOf(text: string): PemBlock[] {
  return [...text.matchAll(BLOCK)].map((m) => ({ label: m[1] as string, text: m[0] }))
}

function refuse(field: string, message: string): never {
  throw errors.validationFailed([{ field, message }])
}

const listed = (labels: string[]) => [...new Set(labels)].map((l) => `a ${l}`).join(' and ')

/** "C=TR\nO=Acme\nCN=api" (node's form) as the one-line form openssl prints. */
const oneLine = (name: string) => name.split('\n').join(', ')

export interface CertificateFacts {
  /** Just the certificate, re-encoded: anything around the block is dropped. */
  pem: string
  subject: string
  issuer: string
  serialNumber: string
  notBefore: string
  notAfter: string
  fingerprintSha256: string
  sha1Thumbprint: string
  certificate: X509Certificate
}

export function describeCertificate(certificate: X509Certificate): CertificateFacts {
  return {
    pem: certificate.toString(),
    subject: oneLine(certificate.subject),
    issuer: oneLine(certificate.issuer),
    serialNumber: certificate.serialNumber.toUpperCase(),
    notBefore: new Date(certificate.validFrom).toISOString(),
    notAfter: new Date(certificate.validTo).toISOString(),
    fingerprintSha256: certificate.fingerprint256,
    sha1Thumbprint: certificate.fingerprint,
    certificate,
  }
}

/**
 * Exactly one X.509 certificate, current at `now`. A certificate that is not valid
 * yet is accepted (uploading ahead of a rotation is normal); an expired one is not.
 */
export function readCertificate(
  text: string,
  now: Date,
  field = 'pemEncodedFile',
): CertificateFacts {
  if (text.trim() === '') refuse(field, 'is empty')
  const blocks = blocksOf(text)
  if (blocks.length === 0) {
    refuse(
      field,
      text.includes('-----BEGIN ')
        ? 'has a -----BEGIN line without its matching -----END line; the file may have been cut short'
        : 'is not PEM text: it has no "-----BEGIN CERTIFICATE-----" line (convert a binary DER file first: openssl x509 -inform der -in cert.der -out cert.pem)',
    )
  }
  const certificates = blocks.filter((b) => b.label === 'CERTIFICATE')
  const others = blocks.filter((b) => b.label !== 'CERTIFICATE').map((b) => b.label)
  if (others.some((label) => label.endsWith('PRIVATE KEY'))) {
    refuse(
      field,
      `holds ${listed(others)}: send the private key as privateKeyFile, never inside the certificate file`,
    )
  }
  if (certificates.length === 0) refuse(field, `holds ${listed(others)}, not a CERTIFICATE`)
  if (certificates.length > 1) {
    refuse(
      field,
      `holds ${certificates.length} certificates; upload exactly one (a chain or bundle is not accepted: upload each certificate on its own)`,
    )
  }
  const block = certificates[0] as PemBlock
  const body = block.text.replace(/^-----BEGIN [^\n]*\n?|-----END [^\n]*$/g, '')
  let certificate: X509Certificate | undefined
  if (BASE64_BODY.test(body)) {
    try {
      certificate = new X509Certificate(block.text)
    } catch {
      certificate = undefined
    }
  }
  if (!certificate) {
    refuse(
      field,
      'holds a CERTIFICATE block that does not decode to an X.509 certificate; check that it was copied completely',
    )
  }
  const facts = describeCertificate(certificate)
  for (const key of ['subject', 'issuer', 'serialNumber'] as const) {
    if (facts[key].length > MAX[key]) {
      refuse(field, `has a ${key} longer than ${MAX[key]} characters, more than is stored here`)
    }
  }
  if (facts.notAfter <= now.toISOString()) {
    refuse(
      field,
      `holds a certificate that expired on ${facts.notAfter} (it is now ${now.toISOString()}); upload a current one`,
    )
  }
  return facts
}

/** One unencrypted private key that belongs to `certificate`, normalized to PKCS#8 PEM. */
export function readPrivateKey(
  text: string,
  certificate: X509Certificate,
  field = 'privateKeyFile',
): string {
  if (text.trim() === '') refuse(field, 'is empty')
  const blocks = blocksOf(text)
  if (blocks.length === 0) {
    refuse(field, 'is not PEM text: it has no "-----BEGIN PRIVATE KEY-----" line')
  }
  const keys = blocks.filter((b) => b.label.endsWith('PRIVATE KEY'))
  if (
    keys.some((b) => b.label === 'ENCRYPTED PRIVATE KEY' || /Proc-Type:\s*4,ENCRYPTED/.test(b.text))
  ) {
    refuse(
      field,
      'is encrypted with a passphrase, which this server cannot ask for; upload it decrypted (openssl pkey -in key.pem -out plain.pem): it is encrypted at rest here',
    )
  }
  if (keys.length === 0) {
    refuse(field, `holds ${listed(blocks.map((b) => b.label))}, not a PRIVATE KEY`)
  }
  if (keys.length > 1) refuse(field, `holds ${keys.length} private keys; upload exactly one`)
  let key: KeyObject | undefined
  try {
    key = createPrivateKey((keys[0] as PemBlock).text)
  } catch {
    key = undefined
  }
  if (!key) {
    refuse(
      field,
      'holds a PRIVATE KEY block that could not be read; check that it was copied completely',
    )
  }
  if (!certificate.checkPrivateKey(key)) {
    refuse(
      field,
      'does not match the certificate: it is not the private key of the public key in pemEncodedFile',
    )
  }
  return key.export({ type: 'pkcs8', format: 'pem' }).toString()
}

/** Whether a stored key still belongs to a new certificate (a renewal that kept its key). */
export function keyMatches(privateKeyPem: string, certificate: X509Certificate): boolean {
  return certificate.checkPrivateKey(createPrivateKey(privateKeyPem))
}
