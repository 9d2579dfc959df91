import { walkedPageIds } from './doc-walk-support.ts'

/*
 * The working order of the security half's documented walk (issue 12): every page of
 * the sections below, in an order where what a page needs exists when it runs. A type
 * page (a policy type, a connection type) is walked whole: its add / create, update,
 * list / get and delete sections, in that order.
 */

export const SECURITY_SECTIONS = [
  '05-policies',
  '06-connections',
  '07-credentials',
  '08-keys-secrets',
  '11-ip-groups',
  '12-rlcl',
  '13-geolocation',
]

const ids = (folder: string) =>
  walkedPageIds(SECURITY_SECTIONS).filter((id) => id.startsWith(folder))

export const SECURITY_ORDER: string[] = [
  '11-ip-groups/crud/create-ip-group',
  '11-ip-groups/crud/update-ip-group',
  '11-ip-groups/ips/add-ips-to-group',
  '11-ip-groups/ips/update-ips-in-group',
  '11-ip-groups/ips/delete-ips-from-group',
  '06-connections/crud/create-connection',
  '06-connections/crud/list-connections',
  '06-connections/crud/get-connection',
  '06-connections/crud/update-connection',
  '06-connections/crud/delete-connection',
  ...ids('06-connections/connections/'),
  '07-credentials/crud/create-credential',
  '07-credentials/crud/list-credentials',
  '07-credentials/crud/update-credential',
  '07-credentials/crud/change-credential-password',
  '07-credentials/access/grant-access',
  '07-credentials/access/get-granted-access-list',
  '07-credentials/access/revoke-access',
  '08-keys-secrets/crud/create-certificate',
  '08-keys-secrets/crud/list-certificates',
  '08-keys-secrets/crud/get-certificate',
  '08-keys-secrets/crud/update-certificate',
  '08-keys-secrets/crud/export-certificate',
  '08-keys-secrets/crud/get-truststore-certificates',
  '08-keys-secrets/crud/create-key',
  '08-keys-secrets/crud/list-keys',
  '08-keys-secrets/crud/get-key',
  '08-keys-secrets/crud/update-key',
  '08-keys-secrets/crud/create-keystore',
  '08-keys-secrets/crud/list-keystores',
  '08-keys-secrets/crud/get-keystore',
  '08-keys-secrets/crud/update-keystore',
  // Each creates my-jwk; the walk deletes it before the next page makes it again.
  '08-keys-secrets/crud/parse-jwk-from-key',
  '08-keys-secrets/crud/parse-jwk-from-keystore',
  '08-keys-secrets/crud/parse-jwk-from-url',
  '08-keys-secrets/crud/create-jwk',
  '08-keys-secrets/crud/generate-jwk',
  '08-keys-secrets/crud/parse-jwk-from-certificate',
  '08-keys-secrets/crud/parse-jwk-from-clipboard',
  '08-keys-secrets/crud/list-jwks',
  '08-keys-secrets/crud/get-jwk',
  '08-keys-secrets/crud/update-jwk',
  '08-keys-secrets/crud/delete-jwk',
  '08-keys-secrets/crud/delete-keystore',
  '08-keys-secrets/crud/delete-key',
  '08-keys-secrets/crud/delete-certificate',
  '12-rlcl/crud/create-rlcl',
  '12-rlcl/crud/update-rlcl',
  '12-rlcl/condition/add-condition',
  '12-rlcl/condition/update-condition',
  '12-rlcl/condition/delete-condition',
  '12-rlcl/credentials/add-credentials',
  '12-rlcl/credentials/update-credentials',
  '12-rlcl/credentials/delete-credentials',
  '12-rlcl/endpoints/add-endpoints',
  '12-rlcl/endpoints/update-endpoints',
  '12-rlcl/endpoints/delete-endpoints',
  '12-rlcl/crud/delete-rlcl',
  '07-credentials/crud/delete-credential',
  '05-policies/crud/list-policies',
  '05-policies/crud/add-policy',
  '05-policies/crud/update-policy',
  '05-policies/crud/delete-policy',
  ...ids('05-policies/policies/'),
  '11-ip-groups/crud/delete-ip-group',
  '13-geolocation/upload-mmdb-file',
  '13-geolocation/enable-geolocation',
  '13-geolocation/disable-geolocation',
]

/** Pages documenting several endpoints, one `## <title>` section each. */
export const isTypePage = (id: string) => /\/(policies|connections)\/[^/]+$/.test(id)

/** A type page's sections in working order: create, change, read, then delete. */
export const OPERATION_RANK: [RegExp, number][] = [
  [/^(Add|Create)/, 0],
  [/^Update/, 1],
  [/^(List|Get)/, 2],
  [/^Delete/, 3],
]
