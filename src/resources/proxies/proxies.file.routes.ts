import multipart from '@fastify/multipart'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { audited } from '../../audit/audit.hook.ts'
import { errors } from '../../errors.ts'
import { SUCCESS } from '../../http/lists.ts'
import { errorResponses, NameParam } from '../../http/schemas.ts'
import { principalOf } from '../../identity/bearer/auth.hook.ts'
import { METADATA_MAX_BYTES, ProxyFileForm, readProxyForm, uploadOf } from './proxies.file.form.ts'
import { ProxyWriteResultSchema } from './proxies.schemas.ts'
import type { ProxiesDeps } from './proxies.service.ts'
import * as writes from './proxies.writes.ts'

/*
 * Creating and updating a proxy from an uploaded spec (apiProxies/file/), as the
 * Apinizer docs describe: multipart `metadata` + `specFile`. Its own plugin, so
 * @fastify/multipart and the 415 for other bodies apply to these two routes only.
 * Past the form, it is the url variant: the same service, the same spec parser.
 */

export const proxiesFileRoutes: FastifyPluginAsyncTypebox<{ deps: ProxiesDeps }> = async (
  app,
  { deps },
) => {
  const maxBytes = deps.specImport.fetch.maxBytes
  await app.register(multipart, {
    limits: {
      fileSize: maxBytes,
      fieldSize: METADATA_MAX_BYTES,
      files: 2,
      fields: 2,
      parts: 3,
      fieldNameSize: 100,
    },
    throwFileSizeLimit: true,
  })
  app.addContentTypeParser('*', (request, _payload, done) =>
    done(
      errors.unsupportedMediaType(
        String(request.headers['content-type'] ?? ''),
        'multipart/form-data',
      ),
      undefined,
    ),
  )
  const tags = ['api-proxies']
  const url = '/apiops/projects/:projectName/apiProxies/file/'
  const route = (operationId: string, summary: string) => ({
    config: { action: 'proxy.write' as const },
    preValidation: readProxyForm(maxBytes),
    schema: {
      operationId,
      tags,
      summary,
      consumes: ['multipart/form-data'],
      params: Type.Object({ projectName: NameParam }),
      body: ProxyFileForm,
      response: {
        200: ProxyWriteResultSchema,
        ...errorResponses(400, 401, 403, 404, 409, 413, 415, 503),
      },
    },
  })

  for (const [method, operationId, summary, write] of [
    [
      'POST',
      'createApiProxyFromFile',
      'Create an API proxy from an uploaded OpenAPI 3 / Swagger 2 / WSDL 1.1 file (or a ZIP of a WSDL and its imports)',
      writes.createProxy,
    ],
    [
      'PUT',
      'updateApiProxyFromFile',
      'Update an API proxy from an uploaded spec file (re-reading it); deployed environments then need a redeploy',
      writes.updateProxy,
    ],
  ] as const) {
    app.route({
      method,
      url,
      ...route(operationId, summary),
      handler: async (request) => ({
        ...SUCCESS,
        ...(await write(
          audited(request, deps),
          principalOf(request),
          request.params.projectName,
          request.body.metadata,
          request.log,
          uploadOf(request),
        )),
      }),
    })
  }
}
