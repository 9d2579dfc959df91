import type { FastifyPluginAsync } from 'fastify'
import { certificatesRoutes } from './certificates/certificates.routes.ts'
import type { CertificatesDeps } from './certificates/certificates.service.ts'
import { connectionsRoutes } from './connections/connections.routes.ts'
import type { ConnectionsDeps } from './connections/connections.service.ts'
import { credentialsRoutes } from './credentials/credentials.routes.ts'
import type { CredentialsDeps } from './credentials/credentials.service.ts'
import { environmentVariablesRoutes } from './environment-variables/environment-variables.routes.ts'
import type { EnvironmentVariablesDeps } from './environment-variables/environment-variables.service.ts'
import { environmentsRoutes } from './environments/environments.routes.ts'
import type { EnvironmentsDeps } from './environments/environments.service.ts'
import { ipGroupsRoutes } from './ip-groups/ip-groups.routes.ts'
import type { IpGroupsDeps } from './ip-groups/ip-groups.service.ts'
import { jwksRoutes } from './jwks/jwks.routes.ts'
import type { JwksDeps } from './jwks/jwks.service.ts'
import { keysRoutes } from './keys/keys.routes.ts'
import type { KeysDeps } from './keys/keys.service.ts'
import { keystoresRoutes } from './keystores/keystores.routes.ts'
import type { KeystoresDeps } from './keystores/keystores.service.ts'
import { projectsRoutes } from './projects/projects.routes.ts'
import type { ProjectsDeps } from './projects/projects.service.ts'
import { proxyEndpointsRoutes } from './proxies/endpoints/endpoints.routes.ts'
import { proxyPoliciesRoutes } from './proxies/policies/policies.routes.ts'
import { proxiesFileRoutes } from './proxies/proxies.file.routes.ts'
import { proxiesRoutes } from './proxies/proxies.routes.ts'
import type { ProxiesDeps } from './proxies/proxies.service.ts'
import { proxySettingsRoutes } from './proxies/settings/settings.routes.ts'
import { proxyTransferRoutes } from './proxies/transfer/transfer.routes.ts'
import { proxyGroupsRoutes } from './proxy-groups/proxy-groups.routes.ts'
import type { ProxyGroupsDeps } from './proxy-groups/proxy-groups.service.ts'
import { reportsRoutes } from './reports/reports.routes.ts'
import { rlclRoutes } from './rlcl/rlcl.routes.ts'
import type { RlclDeps } from './rlcl/rlcl.service.ts'

/** What the resources need; the composition module (src/composition.ts) supplies it. */
export type ResourcesDeps = ProjectsDeps &
  EnvironmentsDeps &
  ProxiesDeps &
  ProxyGroupsDeps &
  ConnectionsDeps &
  CredentialsDeps &
  CertificatesDeps &
  EnvironmentVariablesDeps &
  IpGroupsDeps &
  RlclDeps &
  JwksDeps &
  KeysDeps &
  KeystoresDeps

/** Every resource the roles protect, one plugin each. */
export const resourceRoutes: FastifyPluginAsync<{ deps: ResourcesDeps }> = async (
  app,
  { deps },
) => {
  await app.register(projectsRoutes, { deps })
  await app.register(environmentsRoutes, { deps })
  await app.register(proxiesRoutes, { deps })
  await app.register(proxySettingsRoutes, { deps })
  await app.register(proxyEndpointsRoutes, { deps })
  await app.register(proxyPoliciesRoutes, { deps })
  await app.register(proxyGroupsRoutes, { deps })
  await app.register(proxiesFileRoutes, { deps })
  await app.register(proxyTransferRoutes, { deps })
  await app.register(connectionsRoutes, { deps })
  await app.register(credentialsRoutes, { deps })
  await app.register(certificatesRoutes, { deps })
  await app.register(environmentVariablesRoutes, { deps })
  await app.register(ipGroupsRoutes, { deps })
  await app.register(rlclRoutes, { deps })
  await app.register(jwksRoutes, { deps })
  await app.register(keysRoutes, { deps })
  await app.register(keystoresRoutes, { deps })
  await app.register(reportsRoutes, { deps })
}
