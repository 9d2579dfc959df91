import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { errors } from '../errors.ts'
import { Cursor, errorResponses, ListBody, matching } from '../http/schemas.ts'
import type { EventFilter } from './audit.repository.ts'
import { type AuditDeps, LIMITS, listEvents } from './audit.service.ts'

const Outcome = Type.Union(
  [Type.Literal('success'), Type.Literal('failure'), Type.Literal('denied')],
  {
    description:
      'success; failure (refused or failed, including a wrong password); denied (401/403)',
  },
)

export const AuditEventSchema = Type.Object(
  {
    id: Type.String(),
    at: Type.String({ format: 'date-time', description: 'When, UTC' }),
    actor: Type.Union([Type.String(), Type.Null()], {
      description:
        'Username of who acted; for a login, the username that was tried if a user has it, else "(unknown user)" (see usernameHash); "cli" for the command line; null when unknown',
    }),
    tokenId: Type.Union([Type.String(), Type.Null()], {
      description: 'The token the request presented (null: a console session, a login, the CLI)',
    }),
    clientAddress: Type.String(),
    userAgent: Type.String(),
    action: Type.String({
      description:
        'The operationId of the route (createMyToken, grantRoles, ...), token.usedFromNewAddress, cli:<command>, or audit.folded (a summary of repeated failures)',
    }),
    target: Type.String({
      description:
        'What was acted on, as key=value pairs (route parameters, the name created); for audit.folded, "<count> more <kind> from <address> between <first> and <last>"',
    }),
    outcome: Outcome,
    status: Type.Integer({ description: 'The HTTP status answered' }),
    foldedCount: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()], {
      description:
        'For audit.folded: how many failures of one kind from one address were counted instead of recorded one by one; null otherwise',
    }),
    usernameHash: Type.Union([Type.String(), Type.Null()], {
      description:
        'A failed login under a username no user has: a keyed hash (16 hex digits) of what was typed, the same for the same text; the text itself is never stored',
    }),
  },
  { description: 'One audit event. Never a password, a token or a secret.' },
)

const DateTime = (description: string) =>
  Type.String({ format: 'date-time', maxLength: 40, description })

const filters = {
  action: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: LIMITS.action,
      ...matching('^[A-Za-z0-9:._-]+$', 'must be an action name: letters, digits and : . _ -'),
      description: 'Exactly this action (an operationId, token.usedFromNewAddress, cli:...)',
    }),
  ),
  outcome: Type.Optional(Outcome),
  from: Type.Optional(DateTime('From this instant on (inclusive), ISO 8601 with a time zone')),
  to: Type.Optional(DateTime('Before this instant (exclusive), ISO 8601 with a time zone')),
  page: Type.Optional(
    Type.Integer({ minimum: 0, maximum: 1_000_000, description: 'Zero-based page number' }),
  ),
  size: Type.Optional(
    Type.Integer({ minimum: 1, maximum: 1000, description: 'Items per page (default 100)' }),
  ),
  sort: Type.Optional(
    Type.String({
      maxLength: 8,
      ...matching('^at(,(asc|desc|ASC|DESC))?$', 'must be at, at,asc or at,desc'),
      description: 'at,desc (newest first, the default) or at,asc',
    }),
  ),
  after: Type.Optional(Cursor),
}

const AdminQuery = Type.Object(
  {
    username: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: LIMITS.username,
        description: 'Exactly this actor (a username, "cli", or "(unknown user)")',
      }),
    ),
    username_hash: Type.Optional(
      Type.String({
        ...matching('^[0-9a-f]{16}$', 'must be 16 lowercase hexadecimal digits'),
        description:
          'Failed logins under one unknown username: the usernameHash of one of them (16 hex digits)',
      }),
    ),
    ...filters,
  },
  { additionalProperties: false },
)
const MyQuery = Type.Object(filters, { additionalProperties: false })

interface CommonQuery {
  action?: string | undefined
  outcome?: string | undefined
  from?: string | undefined
  to?: string | undefined
  page?: number | undefined
  size?: number | undefined
  sort?: string | undefined
  after?: string | undefined
}

function instant(field: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined
  const date = new Date(value)
  // The format check passes a few instants Date cannot hold (a leap second, say).
  if (Number.isNaN(date.getTime())) {
    throw errors.validationFailed([{ field, message: 'must be an ISO 8601 date-time' }])
  }
  return date.toISOString()
}

/** The filters as the store takes them: instants normalised to UTC, the window checked. */
function parse(query: CommonQuery) {
  const from = instant('from', query.from)
  const to = instant('to', query.to)
  if (from !== undefined && to !== undefined && to < from) {
    throw errors.validationFailed([{ field: 'to', message: 'must not be before from' }])
  }
  const filter: EventFilter = { action: query.action, outcome: query.outcome, from, to }
  const { page, size, after } = query
  // Newest first unless asked otherwise: a bare `at` has always meant at,desc here.
  const sort = query.sort?.toLowerCase().endsWith(',asc') ? 'at,asc' : 'at,desc'
  return { filter, page: { page, size, sort, after } }
}

function me(request: FastifyRequest) {
  if (!request.principal) throw errors.authorizationMissing()
  return request.principal
}

/** The audit log: everyone's for administrators, and one's own for anybody. */
export const auditRoutes: FastifyPluginAsyncTypebox<{ deps: AuditDeps }> = async (
  app,
  { deps },
) => {
  const response = { 200: ListBody(AuditEventSchema), ...errorResponses(400, 401) }

  app.get(
    '/apiops/audit/',
    {
      config: { action: 'administer' },
      schema: {
        operationId: 'listAuditEvents',
        tags: ['audit'],
        summary: 'The audit log, newest first: filter by user, action, outcome and time',
        querystring: AdminQuery,
        response: { ...response, ...errorResponses(403) },
      },
    },
    async (request) => {
      const { filter, page } = parse(request.query)
      const { username, username_hash: usernameHash } = request.query
      return listEvents(deps, { ...filter, actorUsername: username, usernameHash }, page)
    },
  )

  app.get(
    '/apiops/me/audit/',
    {
      schema: {
        operationId: 'listMyAuditEvents',
        tags: ['me'],
        summary:
          'My activity, newest first: what I did, where from, and the logins tried with my username',
        querystring: MyQuery,
        response,
      },
    },
    async (request) => {
      const { filter, page } = parse(request.query)
      return listEvents(deps, { ...filter, actorUserId: me(request).userId }, page)
    },
  )
}
