import multipart from '@fastify/multipart'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { audited } from '../../audit/audit.hook.ts'
import { errors } from '../../errors.ts'
import { SUCCESS } from '../../http/lists.ts'
import { type FormSpec, readForm } from '../../http/multipart.ts'
import type { RouteApp } from '../../http/route-app.ts'
import { errorResponses } from '../../http/schemas.ts'
import { principalOf } from '../../identity/bearer/auth.hook.ts'
import { DeploymentResultSchema } from '../../resources/environments/in-effect.ts'
import * as service from './geolocation.service.ts'

/*
 * Geolocation at the documented paths (administrators only): PUT .../enable, .../disable
 * and .../mmdb (multipart `file`, optional `fileName`), each answering the documented
 * deploymentResult (one entry per environment: the setting is the installation's). GET
 * /apiops/settings/geolocation, an apiops addition, says whether it is on and which
 * database is in force.
 */

const tags = ['settings']
const admin = { action: 'administer' as const }
const base = '/apiops/settings/geolocation'
const FORM: FormSpec = { files: { file: service.MMDB_MAX_BYTES }, fields: ['fileName'] }

const ChangeAnswer = Type.Object({
  status: Type.Literal('SUCCESS'),
  success: Type.Literal(true),
  deploymentResult: DeploymentResultSchema,
})

const GeolocationSchema = Type.Object({
  enabled: Type.Boolean(),
  database: Type.Union([
    Type.Object({
      fileName: Type.String(),
      size: Type.Integer(),
      sha256: Type.String(),
      databaseType: Type.String({ description: "The database's own type, e.g. GeoLite2-City" }),
      ipVersion: Type.Integer(),
      buildEpoch: Type.String({ format: 'date-time' }),
      uploadedAt: Type.String({ format: 'date-time' }),
      uploadedBy: Type.String(),
    }),
    Type.Null(),
  ]),
})

type Deps = service.GeolocationDeps

export const geolocationRoutes: FastifyPluginAsyncTypebox<{ deps: Deps }> = async (
  app,
  { deps },
) => {
  await app.register(multipart, {
    limits: { fileSize: service.MMDB_MAX_BYTES, files: 1, fields: 1, parts: 2, fieldSize: 1024 },
    throwFileSizeLimit: true,
  })
  readRoute(app, deps)
  for (const enabled of [true, false]) switchRoute(app, deps, enabled)
  uploadRoute(app, deps)
}

function readRoute(app: RouteApp, deps: Deps): void {
  app.get(
    base,
    {
      config: admin,
      schema: {
        operationId: 'getGeolocation',
        tags,
        summary: 'Whether geolocation is on, and the MaxMind database in force (ROLE_ADMIN)',
        response: { 200: GeolocationSchema, ...errorResponses(401, 403) },
      },
    },
    async () => service.geolocationView(deps),
  )
}

function switchRoute(app: RouteApp, deps: Deps, enabled: boolean): void {
  app.put(
    `${base}/${enabled ? 'enable' : 'disable'}`,
    {
      config: admin,
      schema: {
        operationId: enabled ? 'enableGeolocation' : 'disableGeolocation',
        tags,
        summary: enabled
          ? 'Turn geolocation on for every gateway; refused (409) until a database is uploaded (ROLE_ADMIN)'
          : 'Turn geolocation off for every gateway (ROLE_ADMIN)',
        response: { 200: ChangeAnswer, ...errorResponses(401, 403, 409) },
      },
    },
    async (request) => ({
      ...SUCCESS,
      deploymentResult: await service.setGeolocation(
        audited(request, deps),
        enabled,
        principalOf(request).username,
      ),
    }),
  )
}

function uploadRoute(app: RouteApp, deps: Deps): void {
  app.put(
    `${base}/mmdb`,
    {
      config: admin,
      schema: {
        operationId: 'uploadGeolocationDatabase',
        tags,
        summary: `Upload the MaxMind database (.mmdb, at most ${service.MMDB_MAX_BYTES / 1024 / 1024} MiB) every gateway locates clients with (ROLE_ADMIN)`,
        consumes: ['multipart/form-data'],
        response: { 200: ChangeAnswer, ...errorResponses(400, 401, 403, 413, 415, 503) },
      },
    },
    async (request) => {
      const form = await readForm(request, FORM)
      const file = form.files.get('file')
      if (!file) throw errors.validationFailed([{ field: 'file', message: 'is required' }])
      const fileName = form.fields.get('fileName') || file.filename
      if (fileName && !/^[\w.-]{1,255}$/.test(fileName)) {
        throw errors.validationFailed([
          {
            field: 'fileName',
            message: 'must be a plain file name (letters, digits, . _ -; at most 255)',
          },
        ])
      }
      return {
        ...SUCCESS,
        deploymentResult: await service.uploadDatabase(
          audited(request, deps),
          file.bytes,
          fileName,
          principalOf(request).username,
        ),
      }
    },
  )
}
