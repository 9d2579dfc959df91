import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { SUCCESS } from '../../http/lists.ts'
import type { RouteApp } from '../../http/route-app.ts'
import {
  errorResponses,
  FreeText,
  ListBody,
  ListQuery,
  NameParam,
  SuccessBody,
} from '../../http/schemas.ts'
import { principalOf } from '../../identity/bearer/auth.hook.ts'
import * as service from './projects.service.ts'

const ProjectSchema = Type.Object({
  name: Type.String(),
  description: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
})
const MemberSchema = Type.Object({
  username: Type.String(),
  addedAt: Type.String({ format: 'date-time' }),
})
const ProjectParams = Type.Object({ projectName: NameParam })

const tags = ['projects']

interface ProjectsRouteOptions {
  deps: service.ProjectsDeps
}

export const projectsRoutes: FastifyPluginAsyncTypebox<ProjectsRouteOptions> = async (
  app,
  options,
) => {
  listProjectsRoute(app, options)
  createProjectRoute(app, options)
  getProjectRoute(app, options)
  deleteProjectRoute(app, options)
  listProjectMembersRoute(app, options)
  addProjectMemberRoute(app, options)
  removeProjectMemberRoute(app, options)
}

function listProjectsRoute(app: RouteApp, { deps }: ProjectsRouteOptions): void {
  app.get(
    '/apiops/projects/',
    {
      schema: {
        operationId: 'listProjects',
        tags,
        summary: 'Projects I am a member of (administrators: all)',
        querystring: ListQuery,
        response: { 200: ListBody(ProjectSchema), ...errorResponses(400, 401) },
      },
    },
    async (request) => service.listProjects(deps, principalOf(request), request.query),
  )
}

function createProjectRoute(app: RouteApp, { deps }: ProjectsRouteOptions): void {
  app.post(
    '/apiops/projects/',
    {
      config: { action: 'administer' },
      schema: {
        operationId: 'createProject',
        tags,
        summary: 'Create a project (ROLE_ADMIN)',
        body: Type.Object(
          { name: NameParam, description: Type.Optional(FreeText(1000)) },
          { additionalProperties: false },
        ),
        response: { 201: ProjectSchema, ...errorResponses(400, 401, 403, 409) },
      },
    },
    async (request, reply) => reply.code(201).send(await service.createProject(deps, request.body)),
  )
}

function getProjectRoute(app: RouteApp, { deps }: ProjectsRouteOptions): void {
  app.get(
    '/apiops/projects/:projectName/',
    {
      schema: {
        operationId: 'getProject',
        tags,
        params: ProjectParams,
        response: { 200: ProjectSchema, ...errorResponses(401, 404) },
      },
    },
    async (request) => service.getProject(deps, principalOf(request), request.params.projectName),
  )
}

function deleteProjectRoute(app: RouteApp, { deps }: ProjectsRouteOptions): void {
  app.delete(
    '/apiops/projects/:projectName/',
    {
      config: { action: 'administer' },
      schema: {
        operationId: 'deleteProject',
        tags,
        summary: 'Delete a project and its memberships (ROLE_ADMIN)',
        params: ProjectParams,
        response: { 200: SuccessBody, ...errorResponses(401, 403, 404) },
      },
    },
    async (request) => {
      await service.deleteProject(deps, request.params.projectName)
      return SUCCESS
    },
  )
}

function listProjectMembersRoute(app: RouteApp, { deps }: ProjectsRouteOptions): void {
  app.get(
    '/apiops/projects/:projectName/members/',
    {
      schema: {
        operationId: 'listProjectMembers',
        tags,
        params: ProjectParams,
        querystring: ListQuery,
        response: { 200: ListBody(MemberSchema), ...errorResponses(400, 401, 404) },
      },
    },
    async (request) =>
      service.listMembers(deps, principalOf(request), request.params.projectName, request.query),
  )
}

function addProjectMemberRoute(app: RouteApp, { deps }: ProjectsRouteOptions): void {
  app.post(
    '/apiops/projects/:projectName/members/',
    {
      config: { action: 'administer' },
      schema: {
        operationId: 'addProjectMember',
        tags,
        summary: 'Add a user to a project (ROLE_ADMIN)',
        params: ProjectParams,
        body: Type.Object(
          { username: Type.String({ minLength: 1, maxLength: 64 }) },
          { additionalProperties: false },
        ),
        response: {
          201: Type.Object({ username: Type.String(), project: Type.String() }),
          ...errorResponses(400, 401, 403, 404, 409),
        },
      },
    },
    async (request, reply) =>
      reply
        .code(201)
        .send(await service.addMember(deps, request.params.projectName, request.body.username)),
  )
}

function removeProjectMemberRoute(app: RouteApp, { deps }: ProjectsRouteOptions): void {
  app.delete(
    '/apiops/projects/:projectName/members/:username/',
    {
      config: { action: 'administer' },
      schema: {
        operationId: 'removeProjectMember',
        tags,
        params: Type.Object({
          projectName: NameParam,
          username: Type.String({ minLength: 1, maxLength: 64 }),
        }),
        response: { 200: SuccessBody, ...errorResponses(401, 403, 404) },
      },
    },
    async (request) => {
      await service.removeMember(deps, request.params.projectName, request.params.username)
      return SUCCESS
    },
  )
}
