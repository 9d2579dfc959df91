import { type Kysely, sql } from 'kysely'

// Frozen: never edit a migration that has shipped; add a new one instead.
// The audit log's actions were the API's operationIds (createMyToken, grantRoles, ...) and
// `cli:<command>`; they become the names of the event catalogue (src/audit/events.ts), so
// an old row reads and filters like a new one. The table below is a copy, frozen here: the
// catalogue may grow, this mapping never changes.
// - A success becomes the domain event it was (createUser -> user.created).
// - A login's failure becomes login.failed (401) or login.locked (429).
// - Any other denial or failure becomes request.denied / request.failed (the names the
//   HTTP hook records now), and the old name moves into the target as `operation=...`
//   (a command's as `command=...`), so nothing said before is lost.
// Also adds request_id: the id of the HTTP request an event came with.

const SUCCESS: Record<string, string> = {
  createTokenWithCredentials: 'login.succeeded',
  login: 'login.succeeded',
  logout: 'session.ended',
  createMyToken: 'token.created',
  revokeMyToken: 'token.revoked',
  revokeUserToken: 'token.revoked',
  rotateMyToken: 'token.rotated',
  revokeAllUserTokens: 'token.revokedAll',
  changeMyPassword: 'password.changed',
  setUserPassword: 'password.reset',
  createUser: 'user.created',
  deleteUser: 'user.deleted',
  grantRoles: 'user.roleGranted',
  revokeRole: 'user.roleRevoked',
  enableUser: 'user.enabled',
  disableUser: 'user.disabled',
  updateSettings: 'settings.updated',
  createProject: 'project.created',
  deleteProject: 'project.deleted',
  addProjectMember: 'project.memberAdded',
  removeProjectMember: 'project.memberRemoved',
  createEnvironment: 'environment.created',
  updateEnvironment: 'environment.updated',
  deleteEnvironment: 'environment.deleted',
  createApiProxyFromUrl: 'proxy.created',
  updateApiProxyFromUrl: 'proxy.updated',
  createApiProxyFromFile: 'proxy.created',
  updateApiProxyFromFile: 'proxy.updated',
  deleteApiProxy: 'proxy.deleted',
  deployApiProxy: 'proxy.deployed',
  undeployApiProxy: 'proxy.undeployed',
  createConnection: 'connection.created',
  replaceConnection: 'connection.replaced',
  deleteConnection: 'connection.deleted',
  revealConnectionSecrets: 'connection.secretsRevealed',
  createCredential: 'credential.created',
  updateCredential: 'credential.updated',
  changeCredentialPassword: 'credential.passwordChanged',
  deleteCredential: 'credential.deleted',
  createCertificate: 'certificate.created',
  replaceCertificate: 'certificate.replaced',
  deleteCertificate: 'certificate.deleted',
  createEnvironmentVariable: 'variable.created',
  updateEnvironmentVariable: 'variable.updated',
  deleteEnvironmentVariable: 'variable.deleted',
  'cli:user.create': 'user.created',
  'cli:user.set-password': 'password.reset',
  'cli:user.enable': 'user.enabled',
  'cli:user.disable': 'user.disabled',
  'cli:user.grant': 'user.roleGranted',
  'cli:user.revoke': 'user.roleRevoked',
  'cli:user.delete': 'user.deleted',
  'cli:token.create': 'token.created',
  'cli:token.revoke': 'token.revoked',
  'cli:token.revoke-all': 'token.revokedAll',
  'cli:project.create': 'project.created',
  'cli:project.delete': 'project.deleted',
  'cli:project.add-member': 'project.memberAdded',
  'cli:project.remove-member': 'project.memberRemoved',
  // A set created or replaced: which one, the row does not say.
  'cli:env-var.set': 'variable.updated',
  'cli:env-var.delete': 'variable.deleted',
}

const LOGINS = ['createTokenWithCredentials', 'login']
/** Names that are already the catalogue's. */
const KEPT = ['token.usedFromNewAddress', 'audit.folded']

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('audit_events').addColumn('request_id', 'varchar(64)').execute()
  for (const [old, name] of Object.entries(SUCCESS)) {
    await db
      .updateTable('audit_events')
      .set({ action: name })
      .where('action', '=', old)
      .where('outcome', '=', 'success')
      .execute()
  }
  for (const [status, name] of [
    [401, 'login.failed'],
    [429, 'login.locked'],
  ] as const) {
    await db
      .updateTable('audit_events')
      .set({ action: name })
      .where('action', 'in', LOGINS)
      .where('outcome', '!=', 'success')
      .where('status', '=', status)
      .execute()
  }
  // Both engines know || and substr; the target column holds 500 characters.
  const moved = (key: string, from: ReturnType<typeof sql>, rest = '') =>
    sql<string>`substr(${sql.lit(`${key}=`)} || ${from} || case when target = '' then '' else ${sql.lit(` ${rest}`)} || target end, 1, 500)`
  await db
    .updateTable('audit_events')
    .set({ action: 'cli.failed', target: moved('command', sql`substr(action, 5)`, 'args=') })
    .where('action', 'like', 'cli:%')
    .where('outcome', '!=', 'success')
    .execute()
  for (const [outcome, name] of [
    ['denied', 'request.denied'],
    ['failure', 'request.failed'],
  ] as const) {
    await db
      .updateTable('audit_events')
      .set({ action: name, target: moved('operation', sql`action`) })
      .where('outcome', '=', outcome)
      .where('action', 'not in', [...KEPT, 'login.failed', 'login.locked', 'cli.failed'])
      .where('action', 'not like', 'request.%')
      .execute()
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  // The old names cannot be told apart again (token.revoked was two operations): only
  // the column goes.
  await db.schema.alterTable('audit_events').dropColumn('request_id').execute()
}
