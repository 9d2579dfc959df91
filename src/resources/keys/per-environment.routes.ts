import type { TSchema } from 'typebox'
import { audited } from '../../audit/audit.hook.ts'
import { SUCCESS } from '../../http/lists.ts'
import type { RouteApp } from '../../http/route-app.ts'
import { errorResponses, ListBody, ListQuery } from '../../http/schemas.ts'
import { principalOf } from '../../identity/bearer/auth.hook.ts'
import { followingJwks, type RefreshDeps } from '../jwks/jwks.refresh.ts'
import { checkJwkScope } from './environment-entries.ts'
import { ProjectParams, UpdateQuery } from './keys.schemas.ts'
import {
  type AnyKind,
  createNamed,
  type DepsOf,
  deleteNamed,
  getNamed,
  type InputOf,
  listNamed,
  updateNamed,
} from './per-environment.ts'

/*
 * The five routes of keys and keystores (per-environment.ts): list, get, create, update
 * (with the documented updateReferencedJwks/updateScope query) and delete, at
 * /apiops/projects/{p}/<path>/. Reads need keyMaterial.read, writes keyMaterial.write;
 * writes answer the documented {success, deploymentResult}.
 */

export interface PerEnvironmentRoutes<K extends AnyKind> {
  kind: K
  /** Below the project, and the OpenAPI tag: 'keys', 'keystores'. */
  path: string
  /** The path parameter naming one: 'keyName', 'keystoreName'. */
  param: string
  /** The operation ids' nouns: 'Key' and 'Keys' (listKeys, getKey...). */
  noun: string
  plural: string
  schemas: { params: TSchema; body: TSchema; item: TSchema; one: TSchema; write: TSchema }
  summaries: Record<'list' | 'get' | 'create' | 'update' | 'delete', string>
  /** A body limit above the server's default (keystore files). */
  bodyLimit?: number
  /** The statuses a create or update may answer, for OpenAPI. */
  writeStatuses: number[]
}

type Params = { projectName: string } & Record<string, string>

/** The kind's services, and what refreshing the JWKs made from one needs. */
type RoutesDeps<K extends AnyKind> = DepsOf<K> & RefreshDeps

interface Context<K extends AnyKind> {
  spec: PerEnvironmentRoutes<K>
  deps: RoutesDeps<K>
  base: string
  tags: string[]
  /** The object the path names, and its project. */
  named: (params: unknown) => { project: string; name: string }
}

const read = { action: 'keyMaterial.read' as const }
const write = { action: 'keyMaterial.write' as const }

const written = async (result: Promise<unknown>) => ({
  ...SUCCESS,
  deploymentResult: await result,
})

export function perEnvironmentRoutes<K extends AnyKind>(
  app: RouteApp,
  deps: RoutesDeps<K>,
  spec: PerEnvironmentRoutes<K>,
): void {
  const context: Context<K> = {
    spec,
    deps,
    base: `/apiops/projects/:projectName/${spec.path}`,
    tags: [spec.path],
    named: (params) => ({
      project: (params as Params).projectName,
      name: (params as Params)[spec.param] as string,
    }),
  }
  listRoute(app, context)
  getRoute(app, context)
  createRoute(app, context)
  updateRoute(app, context)
  deleteRoute(app, context)
}

function listRoute<K extends AnyKind>(app: RouteApp, { spec, deps, base, tags }: Context<K>) {
  app.get(
    `${base}/`,
    {
      config: read,
      schema: {
        operationId: `list${spec.plural}`,
        tags,
        summary: spec.summaries.list,
        params: ProjectParams,
        querystring: ListQuery,
        response: { 200: ListBody(spec.schemas.item), ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) =>
      listNamed(spec.kind, deps, principalOf(request), request.params.projectName, request.query),
  )
}

function getRoute<K extends AnyKind>(app: RouteApp, { spec, deps, base, tags, named }: Context<K>) {
  app.get(
    `${base}/:${spec.param}/`,
    {
      config: read,
      schema: {
        operationId: `get${spec.noun}`,
        tags,
        summary: spec.summaries.get,
        params: spec.schemas.params,
        response: { 200: spec.schemas.one, ...errorResponses(401, 403, 404) },
      },
    },
    async (request) => {
      const { project, name } = named(request.params)
      return {
        ...SUCCESS,
        resultList: [await getNamed(spec.kind, deps, principalOf(request), project, name)],
      }
    },
  )
}

function createRoute<K extends AnyKind>(app: RouteApp, { spec, deps, base, tags }: Context<K>) {
  app.post(
    `${base}/`,
    {
      config: write,
      ...(spec.bodyLimit === undefined ? {} : { bodyLimit: spec.bodyLimit }),
      schema: {
        operationId: `create${spec.noun}`,
        tags,
        summary: spec.summaries.create,
        params: ProjectParams,
        body: spec.schemas.body,
        response: { 200: spec.schemas.write, ...errorResponses(...spec.writeStatuses) },
      },
    },
    async (request) =>
      written(
        createNamed(
          spec.kind,
          audited(request, deps),
          principalOf(request),
          request.params.projectName,
          request.body as InputOf<K>,
        ),
      ),
  )
}

function updateRoute<K extends AnyKind>(
  app: RouteApp,
  { spec, deps, base, tags, named }: Context<K>,
) {
  app.put(
    `${base}/:${spec.param}/`,
    {
      config: write,
      ...(spec.bodyLimit === undefined ? {} : { bodyLimit: spec.bodyLimit }),
      schema: {
        operationId: `update${spec.noun}`,
        tags,
        summary: spec.summaries.update,
        params: spec.schemas.params,
        querystring: UpdateQuery,
        body: spec.schemas.body,
        response: { 200: spec.schemas.write, ...errorResponses(...spec.writeStatuses) },
      },
    },
    async (request) => {
      const scope = checkJwkScope(request.query)
      const { project, name } = named(request.params)
      const input = request.body as InputOf<K>
      const who = principalOf(request)
      const follow = scope && followingJwks(deps, spec.kind.table, scope)
      const done = await updateNamed(
        spec.kind,
        audited(request, deps),
        who,
        project,
        name,
        input,
        follow,
      )
      return { ...SUCCESS, deploymentResult: done.deploymentResult, referencedJwks: done.after }
    },
  )
}

function deleteRoute<K extends AnyKind>(
  app: RouteApp,
  { spec, deps, base, tags, named }: Context<K>,
) {
  app.delete(
    `${base}/:${spec.param}/`,
    {
      config: write,
      schema: {
        operationId: `delete${spec.noun}`,
        tags,
        summary: spec.summaries.delete,
        params: spec.schemas.params,
        response: { 200: spec.schemas.write, ...errorResponses(401, 403, 404) },
      },
    },
    async (request) => {
      const { project, name } = named(request.params)
      const who = principalOf(request)
      return written(deleteNamed(spec.kind, audited(request, deps), who, project, name))
    },
  )
}
