import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { TSchema } from 'typebox'
import { audited } from '../../audit/audit.hook.ts'
import type { RouteApp } from '../../http/route-app.ts'
import { errorResponses, ListBody, ListQuery } from '../../http/schemas.ts'
import { principalOf } from '../../identity/bearer/auth.hook.ts'
import type { Principal } from '../../identity/policy/permissions.ts'
import type { DebugLog } from '../proxies/spec-fetch.ts'
import {
  CertificateBody,
  ClipboardBody,
  CreateBody,
  GenerateBody,
  JwkAnswer,
  JwkParams,
  JwkSummarySchema,
  JwkWriteAnswer,
  KeyBody,
  KeystoreBody,
  ProjectParams,
  UpdateBody,
  UrlBody,
} from './jwks.schemas.ts'
import * as service from './jwks.service.ts'
import * as sources from './jwks.sources.ts'
import * as stored from './jwks.stored.ts'

/*
 * JWKs at the paths the Apinizer Management API documents: list, get, create (by
 * sourceType), generate, update, delete, and one parse route per source. Reads need
 * membership of the project and writes ROLE_API_SECURITY, as the wire contract says
 * for security objects. Writes answer the documented {success, deploymentResult},
 * plus the JWK's summary (never its key material).
 */

const tags = ['jwks']
const write = { action: 'security.write' as const }
const base = '/apiops/projects/:projectName/jwks'
const writeErrors = errorResponses(400, 401, 403, 404, 409, 415, 503)

interface Options {
  deps: service.JwksDeps
}

export const jwksRoutes: FastifyPluginAsyncTypebox<Options> = async (app, options) => {
  listRoute(app, options)
  getRoute(app, options)
  createRoute(app, options)
  generateRoute(app, options)
  updateRoute(app, options)
  deleteRoute(app, options)
  parseRoutes(app, options)
}

function listRoute(app: RouteApp, { deps }: Options): void {
  app.get(
    `${base}/`,
    {
      schema: {
        operationId: 'listJwks',
        tags,
        summary: "A project's JWKs, without key material (members of the project)",
        params: ProjectParams,
        querystring: ListQuery,
        response: { 200: ListBody(JwkSummarySchema), ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) =>
      service.listJwks(deps, principalOf(request), request.params.projectName, request.query),
  )
}

function getRoute(app: RouteApp, { deps }: Options): void {
  app.get(
    `${base}/:jwkName/`,
    {
      schema: {
        operationId: 'getJwk',
        tags,
        summary: 'A JWK with its public members; private members read as the mask',
        params: JwkParams,
        response: { 200: JwkAnswer, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) =>
      service.getJwk(
        deps,
        principalOf(request),
        request.params.projectName,
        request.params.jwkName,
      ),
  )
}

function createRoute(app: RouteApp, { deps }: Options): void {
  app.post(
    `${base}/`,
    {
      config: write,
      schema: {
        operationId: 'createJwk',
        tags,
        summary:
          'Create a JWK from a URL, pasted text, a certificate, a key or a keystore entry, by sourceType (ROLE_API_SECURITY)',
        params: ProjectParams,
        body: CreateBody,
        response: { 200: JwkWriteAnswer, ...writeErrors },
      },
    },
    async (request) =>
      sources.createJwk(
        audited(request, deps),
        principalOf(request),
        request.params.projectName,
        request.body,
        request.log,
      ),
  )
}

function generateRoute(app: RouteApp, { deps }: Options): void {
  app.post(
    `${base}/generate`,
    {
      config: write,
      schema: {
        operationId: 'generateJwk',
        tags,
        summary: 'Generate an RSA, EC, OCT or OKP key (ROLE_API_SECURITY)',
        params: ProjectParams,
        body: GenerateBody,
        response: { 200: JwkWriteAnswer, ...writeErrors },
      },
    },
    async (request) =>
      service.generateJwk(
        audited(request, deps),
        principalOf(request),
        request.params.projectName,
        request.body,
      ),
  )
}

function updateRoute(app: RouteApp, { deps }: Options): void {
  app.put(
    `${base}/:jwkName/`,
    {
      config: write,
      schema: {
        operationId: 'updateJwk',
        tags,
        summary: 'Rename a JWK or change its description; detaches it from its source',
        params: JwkParams,
        body: UpdateBody,
        response: { 200: JwkWriteAnswer, ...writeErrors },
      },
    },
    async (request) =>
      service.updateJwk(
        audited(request, deps),
        principalOf(request),
        request.params.projectName,
        request.params.jwkName,
        request.body,
      ),
  )
}

function deleteRoute(app: RouteApp, { deps }: Options): void {
  app.delete(
    `${base}/:jwkName/`,
    {
      config: write,
      schema: {
        operationId: 'deleteJwk',
        tags,
        summary: 'Delete a JWK (ROLE_API_SECURITY)',
        params: JwkParams,
        response: { 200: JwkWriteAnswer, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) =>
      service.deleteJwk(
        audited(request, deps),
        principalOf(request),
        request.params.projectName,
        request.params.jwkName,
      ),
  )
}

type Parse = (
  deps: service.JwksDeps,
  principal: Principal,
  projectName: string,
  body: unknown,
  log: DebugLog,
) => Promise<service.JwkWrite>

const PARSE: { path: string; operationId: string; summary: string; body: TSchema; run: Parse }[] = [
  {
    path: 'parse-from-url',
    operationId: 'parseJwkFromUrl',
    summary: 'A JWK from a JWK or JWK set URL (public addresses only), picked by kid',
    body: UrlBody,
    run: (deps, who, project, body, log) =>
      sources.fromUrl(deps, who, project, body as sources.UrlSource, log),
  },
  {
    path: 'parse-from-clipboard',
    operationId: 'parseJwkFromClipboard',
    summary: 'A JWK from pasted JSON: a JWK, or a JWK set picked by kid',
    body: ClipboardBody,
    run: (deps, who, project, body) =>
      sources.fromText(deps, who, project, body as sources.TextSource),
  },
  {
    path: 'parse-from-certificate',
    operationId: 'parseJwkFromCertificate',
    summary: "A JWK of a stored certificate's public key",
    body: CertificateBody,
    run: (deps, who, project, body) =>
      stored.fromCertificate(deps, who, project, body as stored.CertificateSource),
  },
  {
    path: 'parse-from-key',
    operationId: 'parseJwkFromKey',
    summary:
      "A JWK of a stored key's entry for the environment: its private key when stored, else its public key",
    body: KeyBody,
    run: (deps, who, project, body) => stored.fromKey(deps, who, project, body as stored.KeySource),
  },
  {
    path: 'parse-from-keystore',
    operationId: 'parseJwkFromKeystore',
    summary:
      "A JWK of a stored keystore's alias for the environment (private key entry, or certificate)",
    body: KeystoreBody,
    run: (deps, who, project, body) =>
      stored.fromKeystore(deps, who, project, body as stored.KeystoreSource),
  },
]

function parseRoutes(app: RouteApp, { deps }: Options): void {
  for (const route of PARSE) {
    app.post(
      `${base}/${route.path}`,
      {
        config: write,
        schema: {
          operationId: route.operationId,
          tags,
          summary: `${route.summary} (ROLE_API_SECURITY)`,
          params: ProjectParams,
          body: route.body,
          response: { 200: JwkWriteAnswer, ...writeErrors },
        },
      },
      async (request) =>
        route.run(
          audited(request, deps),
          principalOf(request),
          request.params.projectName,
          request.body,
          request.log,
        ),
    )
  }
}
