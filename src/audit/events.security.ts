/*
 * The audit catalogue's events about a project's security objects (connections,
 * credentials and their access, variables, certificates, keys, keystores, JWKs, IP
 * groups, RLCLs). A part of events.ts, split off to keep each file short: like it, this
 * module imports nothing, since the console bundles it (so the entry shape is spelled
 * out here again rather than imported).
 */

/** The fields of each security-object event, as services give them. */
export interface SecurityEventFields {
  'connection.created': { project: string; connection: string }
  'connection.replaced': { project: string; connection: string }
  'connection.deleted': { project: string; connection: string }
  'connection.secretsRevealed': { project: string; connection: string; fields: readonly string[] }
  'credential.created': { project: string; credential: string }
  'credential.updated': { project: string; credential: string }
  'credential.passwordChanged': { project: string; credential: string }
  'credential.deleted': { project: string; credential: string }
  /** targets: what the grant names, e.g. `API proxy 'Orders'`. */
  'credential.accessGranted': { project: string; credential: string; targets: readonly string[] }
  'credential.accessRevoked': { project: string; credential: string; targets: readonly string[] }
  'variable.created': { project: string; variable: string }
  'variable.updated': { project: string; variable: string; previousName?: string }
  'variable.deleted': { project: string; variable: string }
  'ipGroup.created': { project: string; ipGroup: string }
  'ipGroup.updated': { project: string; ipGroup: string }
  'ipGroup.deleted': { project: string; ipGroup: string }
  /** How many entries came and went; never which (the list can be read back). */
  'ipGroup.entriesChanged': {
    project: string
    ipGroup: string
    change: 'add' | 'replace' | 'remove'
    added: number
    removed: number
  }
  'rlcl.created': { project: string; rlcl: string }
  'rlcl.updated': { project: string; rlcl: string }
  'rlcl.deleted': { project: string; rlcl: string }
  'rlcl.membersChanged': {
    project: string
    rlcl: string
    members: 'credentials' | 'endpoints'
    change: 'add' | 'replace' | 'remove'
  }
  'rlcl.conditionChanged': { project: string; rlcl: string; change: 'add' | 'update' | 'delete' }
  'certificate.created': { project: string; certificate: string }
  'certificate.replaced': { project: string; certificate: string }
  'certificate.deleted': { project: string; certificate: string }
  /** sourceType: how it was made (URL, COPY_PASTE, CERTIFICATE, GENERATE...). */
  'jwk.created': { project: string; jwk: string; sourceType: string }
  'jwk.updated': { project: string; jwk: string; previousName?: string }
  'jwk.deleted': { project: string; jwk: string }
  /** sourceType: the half or source it was derived from again (PUBLIC_KEY, KEYSTORE...). */
  'jwk.refreshed': { project: string; jwk: string; sourceType: string }
  'key.created': { project: string; key: string }
  'key.updated': { project: string; key: string }
  'key.deleted': { project: string; key: string }
  'keystore.created': { project: string; keystore: string }
  'keystore.updated': { project: string; keystore: string }
  'keystore.deleted': { project: string; keystore: string }
}

interface Entry<F> {
  label: string
  when: string
  fields: readonly (keyof F & string)[]
}

const IG = ['project', 'ipGroup'] as const
const RL = ['project', 'rlcl'] as const

export const SECURITY_EVENTS: {
  readonly [N in keyof SecurityEventFields]: Entry<SecurityEventFields[N]>
} = {
  'connection.created': {
    label: 'Connection created',
    when: 'A connection is created',
    fields: ['project', 'connection'],
  },
  'connection.replaced': {
    label: 'Connection changed',
    when: 'A connection is replaced',
    fields: ['project', 'connection'],
  },
  'connection.deleted': {
    label: 'Connection deleted',
    when: 'A connection is deleted',
    fields: ['project', 'connection'],
  },
  'connection.secretsRevealed': {
    label: 'Connection secrets revealed',
    when: "A webhook's stored values are shown in clear (fields: which, never the values)",
    fields: ['project', 'connection', 'fields'],
  },
  'credential.created': {
    label: 'Credential created',
    when: 'A credential is created',
    fields: ['project', 'credential'],
  },
  'credential.updated': {
    label: 'Credential changed',
    when: 'A credential is changed',
    fields: ['project', 'credential'],
  },
  'credential.passwordChanged': {
    label: 'Credential password changed',
    when: "A credential's password is changed",
    fields: ['project', 'credential'],
  },
  'credential.deleted': {
    label: 'Credential deleted',
    when: 'A credential is deleted',
    fields: ['project', 'credential'],
  },
  'credential.accessGranted': {
    label: 'Credential granted access',
    when: 'A credential is let call API proxies or proxy groups (targets: which)',
    fields: ['project', 'credential', 'targets'],
  },
  'credential.accessRevoked': {
    label: 'Credential access revoked',
    when: 'A credential stops being let call API proxies or proxy groups (targets: which)',
    fields: ['project', 'credential', 'targets'],
  },
  'variable.created': {
    label: 'Environment variable created',
    when: 'An environment variable is created (API, or `env-var set` of a new name)',
    fields: ['project', 'variable'],
  },
  'variable.updated': {
    label: 'Environment variable changed',
    when: 'An environment variable is replaced or renamed (previousName), or set again by the CLI',
    fields: ['project', 'variable', 'previousName'],
  },
  'variable.deleted': {
    label: 'Environment variable deleted',
    when: 'An environment variable is deleted',
    fields: ['project', 'variable'],
  },
  'ipGroup.created': {
    label: 'IP group created',
    when: 'An IP group is created (empty)',
    fields: IG,
  },
  'ipGroup.updated': {
    label: 'IP group updated',
    when: "An IP group's description is changed",
    fields: IG,
  },
  'ipGroup.deleted': {
    label: 'IP group deleted',
    when: 'An IP group and its addresses are deleted',
    fields: IG,
  },
  'ipGroup.entriesChanged': {
    label: "IP group's addresses changed",
    when: 'Addresses or ranges are added to, removed from or replaced in an IP group (a request that changes nothing records nothing)',
    fields: ['project', 'ipGroup', 'change', 'added', 'removed'],
  },
  'rlcl.created': {
    label: 'RLCL created',
    when: 'A rate limit control list is created (empty)',
    fields: RL,
  },
  'rlcl.updated': {
    label: 'RLCL updated',
    when: "A rate limit control list's settings are replaced",
    fields: RL,
  },
  'rlcl.deleted': {
    label: 'RLCL deleted',
    when: 'A rate limit control list is deleted with its members and condition',
    fields: RL,
  },
  'rlcl.membersChanged': {
    label: "RLCL's credentials or rate limits changed",
    when: 'Credentials or endpoint rate limits are added to, replaced in or removed from an RLCL',
    fields: ['project', 'rlcl', 'members', 'change'],
  },
  'rlcl.conditionChanged': {
    label: "RLCL's condition changed",
    when: "An RLCL's condition is set, replaced or removed",
    fields: ['project', 'rlcl', 'change'],
  },
  'certificate.created': {
    label: 'Certificate uploaded',
    when: 'A certificate is uploaded',
    fields: ['project', 'certificate'],
  },
  'certificate.replaced': {
    label: 'Certificate replaced',
    when: 'A certificate is replaced',
    fields: ['project', 'certificate'],
  },
  'certificate.deleted': {
    label: 'Certificate deleted',
    when: 'A certificate is deleted',
    fields: ['project', 'certificate'],
  },
  'jwk.created': {
    label: 'JWK created',
    when: 'A JWK is generated, or made from a URL, pasted text, a certificate, a key or a keystore entry',
    fields: ['project', 'jwk', 'sourceType'],
  },
  'jwk.updated': {
    label: 'JWK updated',
    when: 'A JWK is renamed (previousName) or its description changed',
    fields: ['project', 'jwk', 'previousName'],
  },
  'jwk.deleted': {
    label: 'JWK deleted',
    when: 'A JWK is deleted',
    fields: ['project', 'jwk'],
  },
  'jwk.refreshed': {
    label: 'JWK refreshed from its source',
    when: 'A key, keystore or certificate is updated with updateReferencedJwks=true and a JWK made from it is derived again',
    fields: ['project', 'jwk', 'sourceType'],
  },
  'key.created': { label: 'Key created', when: 'A key is created', fields: ['project', 'key'] },
  'key.updated': {
    label: 'Key updated',
    when: 'A key is replaced (or renamed)',
    fields: ['project', 'key'],
  },
  'key.deleted': { label: 'Key deleted', when: 'A key is deleted', fields: ['project', 'key'] },
  'keystore.created': {
    label: 'Keystore created',
    when: 'A keystore (PKCS#12 or JKS) is uploaded',
    fields: ['project', 'keystore'],
  },
  'keystore.updated': {
    label: 'Keystore updated',
    when: 'A keystore is replaced (or renamed)',
    fields: ['project', 'keystore'],
  },
  'keystore.deleted': {
    label: 'Keystore deleted',
    when: 'A keystore is deleted',
    fields: ['project', 'keystore'],
  },
}
