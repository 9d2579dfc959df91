/*
 * The audit catalogue's events about the resources of src/resources (projects,
 * environments, API proxies, their endpoints and policies, proxy groups; the security
 * objects' are in events.security.ts). A part of events.ts, split off to keep each file short: like it, this
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
}
