import type { FastifyPluginAsync } from 'fastify'
import type { Services } from '../app.ts'
import { certificatesRoutes } from './certificates/certificates.routes.ts'
import { connectionsRoutes } from './connections/connections.routes.ts'
import { credentialsRoutes } from './credentials/credentials.routes.ts'
import { environmentsRoutes } from './environments/environments.routes.ts'
import { projectsRoutes } from './projects/projects.routes.ts'
import { proxiesRoutes } from './proxies/proxies.routes.ts'

/** Every resource the roles protect, one plugin each. */
export const resourceRoutes: FastifyPluginAsync<{ deps: Services }> = async (app, { deps }) => {
  await app.register(projectsRoutes, { deps })
  await app.register(environmentsRoutes, { deps })
  await app.register(proxiesRoutes, { deps })
  await app.register(connectionsRoutes, { deps })
  await app.register(credentialsRoutes, { deps })
  await app.register(certificatesRoutes, { deps })
}
