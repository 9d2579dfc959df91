import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { SUCCESS } from '../../http/lists.ts'
import type { RouteApp } from '../../http/route-app.ts'
import { errorResponses, ListBody, ListQuery, NameParam, SuccessBody } from '../../http/schemas.ts'
import { principalOf } from '../../identity/bearer/auth.hook.ts'
import {
  CreateEnvironmentBody,
  EnvironmentSchema,
  UpdateEnvironmentBody,
} from './environments.schemas.ts'
import * as service from './environments.service.ts'

const NameParams = Type.Object({ name: NameParam })

const tags = ['environments']
const admin = { action: 'administer' as const }

interface EnvironmentsRouteOptions {
  deps: service.EnvironmentsDeps
}

export const environmentsRoutes: FastifyPluginAsyncTypebox<EnvironmentsRouteOptions> = async (
  app,
  options,
) => {
  listEnvironmentsRoute(app, options)
  listProjectEnvironmentsRoute(app, options)
  createEnvironmentRoute(app, options)
  updateEnvironmentRoute(app, options)
  deleteEnvironmentRoute(app, options)
}

function listEnvironmentsRoute(app: RouteApp, { deps }: EnvironmentsRouteOptions): void {
  app.get(
    '/apiops/environments/',
    {
      config: admin,
      schema: {
        operationId: 'listEnvironments',
        tags,
        summary: 'All environments, with the projects that may use each (ROLE_ADMIN)',
        querystring: ListQuery,
        response: { 200: ListBody(EnvironmentSchema), ...errorResponses(400, 401, 403) },
      },
    },
    async (request) => service.listAllEnvironments(deps, request.query),
  )
}

function listProjectEnvironmentsRoute(app: RouteApp, { deps }: EnvironmentsRouteOptions): void {
  app.get(
    '/apiops/environments/:projectName',
    {
      schema: {
        operationId: 'listProjectEnvironments',
        tags,
        summary: "The environments a project may deploy to (the project's members)",
        params: Type.Object({ projectName: NameParam }),
        querystring: ListQuery,
        response: { 200: ListBody(EnvironmentSchema), ...errorResponses(400, 401, 404) },
      },
    },
    async (request) =>
      service.listProjectEnvironments(
        deps,
        principalOf(request),
        request.params.projectName,
        request.query,
      ),
  )
}

function createEnvironmentRoute(app: RouteApp, { deps }: EnvironmentsRouteOptions): void {
  app.post(
    '/apiops/environments/',
    {
      config: admin,
      schema: {
        operationId: 'createEnvironment',
        tags,
        body: CreateEnvironmentBody,
        response: { 201: EnvironmentSchema, ...errorResponses(400, 401, 403, 409) },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await service.createEnvironment(deps, request.body)),
  )
}

function updateEnvironmentRoute(app: RouteApp, { deps }: EnvironmentsRouteOptions): void {
  app.put(
    '/apiops/environments/:name/',
    {
      config: admin,
      schema: {
        operationId: 'updateEnvironment',
        tags,
        summary: 'Change an environment; `projects` replaces the list of projects that may use it',
        params: NameParams,
        body: UpdateEnvironmentBody,
        response: { 200: EnvironmentSchema, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => service.updateEnvironment(deps, request.params.name, request.body),
  )
}

function deleteEnvironmentRoute(app: RouteApp, { deps }: EnvironmentsRouteOptions): void {
  app.delete(
    '/apiops/environments/:name/',
    {
      config: admin,
      schema: {
        operationId: 'deleteEnvironment',
        tags,
        summary: 'Delete an environment; every proxy deployed there is undeployed',
        params: NameParams,
        response: { 200: SuccessBody, ...errorResponses(401, 403, 404) },
      },
    },
    async (request) => {
      await service.deleteEnvironment(deps, request.params.name)
      return SUCCESS
    },
  )
}
