import multipart from '@fastify/multipart'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { audited } from '../../../audit/audit.hook.ts'
import { errors } from '../../../errors.ts'
import { SUCCESS } from '../../../http/lists.ts'
import type { RouteApp } from '../../../http/route-app.ts'
import { errorResponses, NameParam } from '../../../http/schemas.ts'
import { principalOf } from '../../../identity/bearer/auth.hook.ts'
import { ProxyParams, ProxySchema } from '../proxies.schemas.ts'
import type { ProxiesDeps } from '../proxies.service.ts'
import { ImportForm, importUploadOf, readImportForm } from './transfer.form.ts'
import { EXPORT_FILE_NAME, exportProxy, importProxy } from './transfer.service.ts'

/*
 * Export (GET .../{name}/export/, a ZIP) and import (POST .../apiProxies/import/, which
 * refuses a name that exists, and PUT .../{name}/import/, which overrides it). Their own
 * plugin, so @fastify/multipart and its 415 apply to the two import routes only.
 */

interface TransferOptions {
  deps: ProxiesDeps
}

const tags = ['api-proxies']
const base = '/apiops/projects/:projectName/apiProxies'

/** As the import page has it: a message, and environmentResults (not deploymentResults). */
const ImportDeploymentResult = Type.Object({
  success: Type.Boolean(),
  message: Type.String(),
  environmentResults: Type.Array(
    Type.Object({
      environmentName: Type.String(),
      success: Type.Boolean(),
      message: Type.String(),
    }),
    { description: 'One per environment deployed to' },
  ),
})

const ImportAnswer = Type.Object({
  status: Type.Literal('SUCCESS'),
  success: Type.Literal(true),
  apiProxy: ProxySchema,
  secretsToSetAgain: Type.Array(Type.String(), {
    description:
      'Secrets the exported proxy had, which exports never carry: set each again (e.g. settings.ntlm.password)',
  }),
  deploymentResult: Type.Optional(ImportDeploymentResult),
})

export const proxyTransferRoutes: FastifyPluginAsyncTypebox<TransferOptions> = async (
  app,
  options,
) => {
  exportApiProxyRoute(app, options)
  await app.register(async (scope) => {
    const maxBytes = options.deps.specImport.fetch.maxBytes
    await scope.register(multipart, {
      limits: {
        fileSize: maxBytes,
        fieldSize: 256 * 1024,
        files: 2,
        fields: 2,
        parts: 3,
        fieldNameSize: 100,
      },
      throwFileSizeLimit: true,
    })
    scope.addContentTypeParser('*', (request, _payload, done) =>
      done(
        errors.unsupportedMediaType(
          String(request.headers['content-type'] ?? ''),
          'multipart/form-data',
        ),
        undefined,
      ),
    )
    importApiProxyRoutes(scope, options, maxBytes)
  })
}

function exportApiProxyRoute(app: RouteApp, { deps }: TransferOptions): void {
  app.get(
    `${base}/:apiProxyName/export/`,
    {
      config: { action: 'proxy.write' },
      schema: {
        operationId: 'exportApiProxy',
        tags,
        summary:
          'Export an API proxy as a ZIP: definition, settings, endpoints, spec document (never its secrets)',
        params: ProxyParams,
        response: {
          200: {
            description: 'The export archive',
            content: { 'application/octet-stream': { schema: Type.String({ format: 'binary' }) } },
          },
          ...errorResponses(400, 401, 403, 404),
        },
      },
    },
    async (request, reply) => {
      const { projectName, apiProxyName } = request.params
      const zip = await exportProxy(
        audited(request, deps),
        principalOf(request),
        projectName,
        apiProxyName,
      )
      return reply
        .type('application/octet-stream')
        .header('content-disposition', `attachment; filename="${EXPORT_FILE_NAME}"`)
        .header('cache-control', 'no-store')
        .send(zip as never)
    },
  )
}

function importApiProxyRoutes(app: RouteApp, { deps }: TransferOptions, maxBytes: number): void {
  const schema = (operationId: string, summary: string, params: object) => ({
    operationId,
    tags,
    summary,
    consumes: ['multipart/form-data'],
    params,
    body: ImportForm,
    response: { 200: ImportAnswer, ...errorResponses(400, 401, 403, 404, 409, 413, 415, 503) },
  })
  for (const [method, url, override, operationId, summary] of [
    [
      'POST',
      `${base}/import/`,
      false,
      'importApiProxy',
      'Import an API proxy from an export ZIP; 409 if the project has one of that name',
    ],
    [
      'PUT',
      `${base}/:apiProxyName/import/`,
      true,
      'importApiProxyAndOverride',
      'Import an API proxy from an export ZIP under this name, replacing one that exists (deployed environments then need a redeploy)',
    ],
  ] as const) {
    const params = override ? ProxyParams : Type.Object({ projectName: NameParam })
    app.route({
      method,
      url,
      config: { action: 'proxy.write' },
      preValidation: readImportForm(maxBytes),
      schema: schema(operationId, summary, params),
      handler: async (request) => {
        const { projectName, apiProxyName } = request.params as {
          projectName: string
          apiProxyName?: string
        }
        const upload = importUploadOf(request)
        return {
          ...SUCCESS,
          ...(await importProxy(audited(request, deps), principalOf(request), projectName, {
            bytes: upload.bytes,
            name: apiProxyName,
            override,
            metadata: upload.metadata,
          })),
        }
      },
    })
  }
}
