import multipart from '@fastify/multipart'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { audited } from '../../audit/audit.hook.ts'
import { errors } from '../../errors.ts'
import { SUCCESS } from '../../http/lists.ts'
import type { RouteApp } from '../../http/route-app.ts'
import { errorResponses, ListBody, ListQuery } from '../../http/schemas.ts'
import { principalOf } from '../../identity/bearer/auth.hook.ts'
import { followingJwks, type RefreshDeps, type Source } from '../jwks/jwks.refresh.ts'
import { checkJwkScope } from '../keys/environment-entries.ts'
import { UpdateQuery } from '../keys/keys.schemas.ts'
import { exportCertificate, truststoreCertificates } from './certificates.export.ts'
import { readUploadForm } from './certificates.multipart.ts'
import {
  CertificateDeleteSchema,
  CertificateParams,
  CertificateSchema,
  CertificateWriteSchema,
  CreateCertificateForm,
  OneCertificateSchema,
  ProjectParams,
  ReplaceCertificateForm,
  TruststoreParams,
  UPLOAD_LIMITS,
} from './certificates.schemas.ts'
import * as service from './certificates.service.ts'

/*
 * Certificates: X.509 certificates (and optionally their private keys) a project's
 * gateway uses. Choices a reader should know:
 * - Uploads are multipart/form-data (name, description, alias, pemEncodedFile and
 *   optional privateKeyFile; Apinizer's certificateName/certificateDescription are
 *   accepted too). @fastify/multipart is registered in this plugin only; the form is
 *   read after the role check, each part bounded (64 KiB, 2 files), and an oversize
 *   part is a 413 naming the limit. The fields then pass the same TypeBox validation
 *   as any JSON body.
 * - The certificate is parsed with node:crypto: exactly one certificate, not expired
 *   by the server's clock (not-yet-valid is accepted and reported as such); anything
 *   else is a 400 saying why. A private key must belong to the certificate; it is
 *   stored as PKCS#8 sealed with AES-256-GCM bound to the row, and read as the mask.
 * - PUT replaces the certificate, description and alias; the stored key is kept when
 *   it belongs to the new certificate, and the upload refused when it does not
 *   (unless a new key or removePrivateKey=true is sent). Names come from the path.
 * - Aliases are unique per project ignoring case, as keystores compare them.
 * - Answers carry the documented shapes besides the certificate's own fields: writes the
 *   success and deploymentResult (for the environments of environmentList, default all
 *   of the project's), reads certificateEnvironmentList, a single read a resultList of
 *   one. Export is the documented ZIP of DER files, one per environment; the truststore
 *   of an environment lists the certificates in it (the docs' admin-project limit has
 *   no counterpart here: any member reads their project's).
 * - Reads need membership of the project; writes need ROLE_API_SECURITY (route config),
 *   and a project the caller cannot see is a 404 either way.
 */

const tags = ['certificates']
const write = { action: 'security.write' as const }
const base = '/apiops/projects/:projectName/certificates'

interface CertificatesRouteOptions {
  deps: service.CertificatesDeps & RefreshDeps
}

type CertificateSource = Extract<Source, { table: 'certificates' }>

export const certificatesRoutes: FastifyPluginAsyncTypebox<CertificatesRouteOptions> = async (
  app,
  options,
) => {
  await app.register(multipart, { limits: UPLOAD_LIMITS, throwFileSizeLimit: true })
  // Any other body type gets a 415 that names what this plugin's uploads take.
  app.addContentTypeParser('*', (request, _payload, done) =>
    done(
      errors.unsupportedMediaType(
        String(request.headers['content-type'] ?? ''),
        'multipart/form-data',
      ),
      undefined,
    ),
  )
  listCertificatesRoute(app, options)
  createCertificateRoute(app, options)
  getCertificateRoute(app, options)
  replaceCertificateRoute(app, options)
  deleteCertificateRoute(app, options)
  exportCertificateRoute(app, options)
  truststoreRoute(app, options)
}

function listCertificatesRoute(app: RouteApp, { deps }: CertificatesRouteOptions): void {
  app.get(
    `${base}/`,
    {
      schema: {
        operationId: 'listCertificates',
        tags,
        summary: "A project's certificates, private keys masked (members)",
        params: ProjectParams,
        querystring: ListQuery,
        response: { 200: ListBody(CertificateSchema), ...errorResponses(400, 401, 404) },
      },
    },
    async (request) =>
      service.listCertificates(
        deps,
        principalOf(request),
        request.params.projectName,
        request.query,
      ),
  )
}

function createCertificateRoute(app: RouteApp, { deps }: CertificatesRouteOptions): void {
  app.post(
    `${base}/`,
    {
      config: write,
      preValidation: readUploadForm,
      schema: {
        operationId: 'createCertificate',
        tags,
        summary: 'Upload a PEM certificate, optionally with its private key (ROLE_API_SECURITY)',
        consumes: ['multipart/form-data'],
        params: ProjectParams,
        body: CreateCertificateForm,
        response: {
          200: CertificateWriteSchema,
          ...errorResponses(400, 401, 403, 404, 409, 413, 415),
        },
      },
    },
    async (request) =>
      writeAnswer(
        await service.createCertificate(
          audited(request, deps),
          principalOf(request),
          request.params.projectName,
          request.body,
        ),
      ),
  )
}

function getCertificateRoute(app: RouteApp, { deps }: CertificatesRouteOptions): void {
  app.get(
    `${base}/:name/`,
    {
      schema: {
        operationId: 'getCertificate',
        tags,
        summary: 'One certificate, its private key masked (members)',
        params: CertificateParams,
        response: { 200: OneCertificateSchema, ...errorResponses(401, 404) },
      },
    },
    async (request) => {
      const certificate = await service.getCertificate(
        deps,
        principalOf(request),
        request.params.projectName,
        request.params.name,
      )
      return { ...SUCCESS, resultList: [certificate], ...certificate }
    },
  )
}

function replaceCertificateRoute(app: RouteApp, { deps }: CertificatesRouteOptions): void {
  app.put(
    `${base}/:name/`,
    {
      config: write,
      preValidation: readUploadForm,
      schema: {
        operationId: 'replaceCertificate',
        tags,
        summary:
          'Replace a certificate, its description and alias; the private key is kept if it still matches; updateReferencedJwks=true derives the JWKs made from it again (ROLE_API_SECURITY)',
        consumes: ['multipart/form-data'],
        params: CertificateParams,
        querystring: UpdateQuery,
        body: ReplaceCertificateForm,
        response: {
          200: CertificateWriteSchema,
          ...errorResponses(400, 401, 403, 404, 409, 413, 415),
        },
      },
    },
    async (request) => {
      const scope = checkJwkScope(request.query)
      const follow = scope && followingJwks<CertificateSource>(deps, 'certificates', scope)
      const done = await service.replaceCertificate(
        audited(request, deps),
        principalOf(request),
        request.params.projectName,
        request.params.name,
        request.body,
        follow,
      )
      return { ...writeAnswer(done), referencedJwks: done.after }
    },
  )
}

function deleteCertificateRoute(app: RouteApp, { deps }: CertificatesRouteOptions): void {
  app.delete(
    `${base}/:name/`,
    {
      config: write,
      schema: {
        operationId: 'deleteCertificate',
        tags,
        summary: 'Delete a certificate and its private key (ROLE_API_SECURITY)',
        params: CertificateParams,
        response: { 200: CertificateDeleteSchema, ...errorResponses(401, 403, 404, 409) },
      },
    },
    async (request) => ({
      ...SUCCESS,
      deploymentResult: await service.deleteCertificate(
        audited(request, deps),
        principalOf(request),
        request.params.projectName,
        request.params.name,
      ),
    }),
  )
}

const writeAnswer = <R>({ certificate, deploymentResult }: service.CertificateWrite<R>) => ({
  ...SUCCESS,
  deploymentResult,
  ...certificate,
})

/** An ASCII file name for Content-Disposition, and the exact one as filename*. */
const disposition = (fileName: string) =>
  `attachment; filename="${fileName.replace(/[^A-Za-z0-9._-]/g, '_')}"; filename*=UTF-8''${encodeURIComponent(fileName)}`

function exportCertificateRoute(app: RouteApp, { deps }: CertificatesRouteOptions): void {
  app.get(
    `${base}/:name/export/`,
    {
      schema: {
        operationId: 'exportCertificate',
        tags,
        summary: 'A ZIP of the certificate as DER, one .cer per environment (members)',
        params: CertificateParams,
        response: {
          200: {
            description: 'The ZIP archive',
            content: { 'application/octet-stream': { schema: Type.String({ format: 'binary' }) } },
          },
          ...errorResponses(401, 404),
        },
      },
    },
    async (request, reply) => {
      const { fileName, zip } = await exportCertificate(
        deps,
        principalOf(request),
        request.params.projectName,
        request.params.name,
      )
      return reply
        .type('application/octet-stream')
        .header('content-disposition', disposition(fileName))
        .send(zip as never)
    },
  )
}

function truststoreRoute(app: RouteApp, { deps }: CertificatesRouteOptions): void {
  app.get(
    `${base}/truststore/:environmentName/`,
    {
      schema: {
        operationId: 'getTruststoreCertificates',
        tags,
        summary: "The project's certificates in one environment's truststore (members)",
        params: TruststoreParams,
        response: {
          200: Type.Object({
            status: Type.Literal('SUCCESS'),
            success: Type.Literal(true),
            resultList: Type.Array(
              Type.Object({
                name: Type.String(),
                description: Type.String(),
                certificateEnvironmentList: CertificateSchema.properties.certificateEnvironmentList,
              }),
            ),
          }),
          ...errorResponses(400, 401, 404),
        },
      },
    },
    async (request) => ({
      ...SUCCESS,
      resultList: await truststoreCertificates(
        deps,
        principalOf(request),
        request.params.projectName,
        request.params.environmentName,
      ),
    }),
  )
}
