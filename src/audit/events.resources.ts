/*
 * The audit catalogue's events about the resources of src/resources (projects,
 * environments, API proxies and groups, connections, credentials, variables,
 * certificates). A part of events.ts, split off to keep each file short: like it, this
 * module imports nothing, since the console bundles it.
 */

/** The fields of each resource event, as services give them. */
export interface ResourceEventFields {
  'project.created': { project: string }
  'project.deleted': { project: string }
  'project.memberAdded': { project: string; username: string }
  'project.memberRemoved': { project: string; username: string }
  'environment.created': { environment: string }
  'environment.updated': { environment: string }
  'environment.deleted': { environment: string }
  'proxy.created': { project: string; proxy: string }
  'proxy.updated': { project: string; proxy: string }
  'proxy.deleted': { project: string; proxy: string }
  'proxy.deployed': { project: string; proxy: string; environments: readonly string[] }
  'proxy.undeployed': { project: string; proxy: string; environments: readonly string[] }
  /** setting: which of the 17 (its path, e.g. `cors`); never a value, settings hold secrets. */
  'proxy.settingChanged': { project: string; proxy: string; setting: string; previousName?: string }
  'proxy.endpointCreated': { project: string; proxy: string; method: string; endpoint: string }
  /** change: what of it (definition, status, cache, wsa); never a value. */
  'proxy.endpointChanged': {
    project: string
    proxy: string
    method: string
    endpoint: string
    change: string
  }
  'proxy.endpointDeleted': { project: string; proxy: string; method: string; endpoint: string }
  'proxy.exported': { project: string; proxy: string }
  /** overridden: the import replaced a proxy of that name (PUT .../{name}/import/). */
  'proxy.imported': { project: string; proxy: string; overridden: boolean }
  /** scope: ALL or the endpoint ('GET /users'); never a policy's values, they hold secrets. */
  'policy.added': { project: string; proxy: string; policy: string; type: string; scope: string }
  'policy.updated': { project: string; proxy: string; policy: string; type: string; scope: string }
  'policy.deleted': { project: string; proxy: string; policy: string; type: string; scope: string }
  'proxyGroup.created': { project: string; group: string }
  'proxyGroup.updated': { project: string; group: string }
  'proxyGroup.deleted': { project: string; group: string }
  'proxyGroup.memberAdded': { project: string; group: string; proxy: string }
  'proxyGroup.memberRemoved': { project: string; group: string; proxy: string }
  'proxyGroup.deployed': {
    project: string
    group: string
    environment: string
    proxies: readonly string[]
  }
  'proxyGroup.undeployed': {
    project: string
    group: string
    environment: string
    proxies: readonly string[]
  }
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
  'key.created': { project: string; key: string }
  'key.updated': { project: string; key: string }
  'key.deleted': { project: string; key: string }
  'keystore.created': { project: string; keystore: string }
  'keystore.updated': { project: string; keystore: string }
  'keystore.deleted': { project: string; keystore: string }
}

/** One row of a catalogue table, its fields checked against the event's field type. */
export interface CatalogueEntry<F> {
  /** Plain words, for the console and the docs. */
  label: string
  /** When it is recorded. */
  when: string
  /** Its fields, in the order they are stored. */
  fields: readonly (keyof F & string)[]
}

const P = ['project'] as const
const G = ['project', 'group'] as const
const IG = ['project', 'ipGroup'] as const
const RL = ['project', 'rlcl'] as const

export const RESOURCE_EVENTS: {
  readonly [N in keyof ResourceEventFields]: CatalogueEntry<ResourceEventFields[N]>
} = {
  'project.created': {
    label: 'Project created',
    when: 'A project is created',
    fields: P,
  },
  'project.deleted': {
    label: 'Project deleted',
    when: 'A project is deleted',
    fields: P,
  },
  'project.memberAdded': {
    label: 'Member added to a project',
    when: 'A user becomes a member of a project',
    fields: ['project', 'username'],
  },
  'project.memberRemoved': {
    label: 'Member removed from a project',
    when: 'A user stops being a member of a project',
    fields: ['project', 'username'],
  },
  'environment.created': {
    label: 'Environment created',
    when: 'An environment is created',
    fields: ['environment'],
  },
  'environment.updated': {
    label: 'Environment changed',
    when: 'An environment is changed',
    fields: ['environment'],
  },
  'environment.deleted': {
    label: 'Environment deleted',
    when: 'An environment is deleted',
    fields: ['environment'],
  },
  'proxy.created': {
    label: 'API proxy created',
    when: 'An API proxy is created',
    fields: ['project', 'proxy'],
  },
  'proxy.updated': {
    label: 'API proxy updated',
    when: 'An API proxy is updated',
    fields: ['project', 'proxy'],
  },
  'proxy.deleted': {
    label: 'API proxy deleted',
    when: 'An API proxy is deleted',
    fields: ['project', 'proxy'],
  },
  'proxy.deployed': {
    label: 'API proxy deployed',
    when: 'An API proxy is deployed to environments',
    fields: ['project', 'proxy', 'environments'],
  },
  'proxy.undeployed': {
    label: 'API proxy undeployed',
    when: 'An API proxy is undeployed from environments',
    fields: ['project', 'proxy', 'environments'],
  },
  'proxy.settingChanged': {
    label: 'API proxy setting changed',
    when: "One of an API proxy's settings is changed (setting: which, e.g. cors; never a value; previousName: a rename by metadata)",
    fields: ['project', 'proxy', 'setting', 'previousName'],
  },
  'proxy.endpointCreated': {
    label: 'API proxy endpoint created',
    when: 'An endpoint is added to an API proxy by hand (method and endpoint: its path)',
    fields: ['project', 'proxy', 'method', 'endpoint'],
  },
  'proxy.endpointChanged': {
    label: 'API proxy endpoint changed',
    when: 'An API proxy endpoint is changed (change: definition, status, cache or wsa; never a value)',
    fields: ['project', 'proxy', 'method', 'endpoint', 'change'],
  },
  'proxy.endpointDeleted': {
    label: 'API proxy endpoint deleted',
    when: 'An endpoint is deleted from an API proxy',
    fields: ['project', 'proxy', 'method', 'endpoint'],
  },
  'proxy.exported': {
    label: 'API proxy exported',
    when: 'An API proxy is exported to a ZIP (secrets left out)',
    fields: ['project', 'proxy'],
  },
  'proxy.imported': {
    label: 'API proxy imported',
    when: 'An API proxy is created, or replaced (overridden: true), from an export ZIP',
    fields: ['project', 'proxy', 'overridden'],
  },
  'policy.added': {
    label: 'API proxy policy added',
    when: 'A policy is added to an API proxy (scope: ALL or the endpoint; never a value)',
    fields: ['project', 'proxy', 'policy', 'type', 'scope'],
  },
  'policy.updated': {
    label: 'API proxy policy updated',
    when: 'A policy of an API proxy is changed or moved (never a value)',
    fields: ['project', 'proxy', 'policy', 'type', 'scope'],
  },
  'policy.deleted': {
    label: 'API proxy policy deleted',
    when: 'A policy is deleted from an API proxy',
    fields: ['project', 'proxy', 'policy', 'type', 'scope'],
  },
  'proxyGroup.created': {
    label: 'API proxy group created',
    when: 'An API proxy group is created',
    fields: G,
  },
  'proxyGroup.updated': {
    label: 'API proxy group updated',
    when: "An API proxy group's route or description is replaced",
    fields: G,
  },
  'proxyGroup.deleted': {
    label: 'API proxy group deleted',
    when: 'An API proxy group is deleted (its proxies stay)',
    fields: G,
  },
  'proxyGroup.memberAdded': {
    label: 'API proxy added to a group',
    when: 'An API proxy becomes a member of a group (adding a member again changes nothing and records nothing)',
    fields: ['project', 'group', 'proxy'],
  },
  'proxyGroup.memberRemoved': {
    label: 'API proxy removed from a group',
    when: 'An API proxy stops being a member of a group (removing a non-member records nothing)',
    fields: ['project', 'group', 'proxy'],
  },
  'proxyGroup.deployed': {
    label: 'API proxy group deployed',
    when: 'A group and its members are deployed to an environment (proxies: the members; one event, no proxy.deployed per member)',
    fields: ['project', 'group', 'environment', 'proxies'],
  },
  'proxyGroup.undeployed': {
    label: 'API proxy group undeployed',
    when: 'A group and its members are undeployed from an environment (proxies: the members; one event, no proxy.undeployed per member)',
    fields: ['project', 'group', 'environment', 'proxies'],
  },
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
    when: 'A JWK is generated, or made from a URL, pasted text or a certificate',
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
