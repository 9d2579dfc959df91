import { type Static, Type } from 'typebox'
import { FreeText, INVISIBLE, ListBody, matching } from '../../../http/schemas.ts'
import { enumOf, Method, nullable, strict } from '../settings/settings.fields.ts'
import { CacheBody } from '../settings/settings.schemas.ts'

/* The documented request and answer bodies of a proxy's endpoints. */

const NO_SPACES = matching('^[^\\s\\p{Cc}\\p{Cf}]+$', `must not contain spaces, ${INVISIBLE}`)
/** An endpoint's name: its path (`/api/users`), or a SOAP operation's. */
const EndpointName = Type.String({ minLength: 1, maxLength: 2048, ...NO_SPACES })
/** A path relative to the backend address, or an absolute URL. */
const BackendResourceUrl = Type.String({ minLength: 1, maxLength: 2048, ...NO_SPACES })

/** details/, delete/, policies/: the endpoint by its name and method. */
export const EndpointKeyBody = Type.Object({ name: EndpointName, httpMethod: Method }, strict)

export const CreateEndpointBody = Type.Object(
  {
    name: EndpointName,
    description: Type.Optional(FreeText(1000)),
    httpMethod: Method,
    backendResourceUrl: BackendResourceUrl,
    backendHttpMethod: Method,
  },
  strict,
)

/** name and httpMethod find the endpoint; the other fields change only when given. */
export const UpdateEndpointBody = Type.Object(
  {
    name: EndpointName,
    httpMethod: Method,
    description: Type.Optional(FreeText(1000)),
    backendResourceUrl: Type.Optional(BackendResourceUrl),
    backendHttpMethod: Type.Optional(Method),
  },
  strict,
)

const identifier = { identifierName: EndpointName, identifierHttpMethod: Method }

export const EndpointStatusBody = Type.Object({ ...identifier, active: Type.Boolean() }, strict)

export const EndpointCacheBody = Type.Object({ ...identifier, cacheSettings: CacheBody }, strict)

const Uri = nullable(Type.String({ minLength: 1, maxLength: 2048, ...NO_SPACES }))
export const WsaSettings = Type.Object(
  {
    wsaEnabled: Type.Optional(Type.Boolean()),
    wsaMustUnderstand: Type.Optional(enumOf(['NONE', 'TRUE', 'FALSE'] as const)),
    wsaVersion: Type.Optional(enumOf(['V200408', 'V200508'] as const)),
    wsaAddDefaultAction: Type.Optional(Type.Boolean()),
    wsaAction: Type.Optional(Uri),
    wsaAddDefaultTo: Type.Optional(Type.Boolean()),
    wsaTo: Type.Optional(Uri),
    wsaReplyTo: Type.Optional(Uri),
    wsaGenerateMessageId: Type.Optional(Type.Boolean()),
    wsaMessageId: Type.Optional(Uri),
    wsaFrom: Type.Optional(Uri),
    wsaFaultTo: Type.Optional(Uri),
    wsaRelatesTo: Type.Optional(Uri),
    wsaRelationShipType: Type.Optional(nullable(FreeText(200))),
  },
  strict,
)
export const EndpointWsaBody = Type.Object({ ...identifier, wsaSettings: WsaSettings }, strict)

export const EndpointSchema = Type.Object({
  id: Type.String(),
  endpoint: Type.String({ description: 'The endpoint path (its name)' }),
  description: Type.String(),
  active: Type.Boolean(),
  httpMethod: Type.String(),
  backendResourceUrl: Type.String(),
  backendHttpMethod: Type.String(),
  origin: Type.String({
    description: 'spec (from the proxy spec: a re-parse may remove it) or manual (always kept)',
  }),
  operationId: Type.Union([Type.String(), Type.Null()]),
  summary: Type.Union([Type.String(), Type.Null()]),
  soapAction: Type.Union([Type.String(), Type.Null()], {
    description: 'SOAP operations only: the soapAction of their binding',
  }),
  cacheSettings: Type.Unknown({
    description: 'The endpoint cache settings (cache/), null until set',
  }),
  wsaSettings: Type.Unknown({
    description: 'The endpoint WS-Addressing settings (wsa/), null until set',
  }),
})

export const EndpointListBody = ListBody(EndpointSchema)

const PolicySummary = Type.Object(
  { type: Type.String(), name: Type.String(), active: Type.Boolean() },
  { additionalProperties: true, description: 'The policy as stored, secrets shown as the mask' },
)
export const EndpointPoliciesSchema = Type.Object({
  ...EndpointSchema.properties,
  requestPolicyList: Type.Array(PolicySummary),
  responsePolicyList: Type.Array(PolicySummary),
  errorPolicyList: Type.Array(PolicySummary),
})

export type EndpointKeyInput = Static<typeof EndpointKeyBody>
export type CreateEndpointInput = Static<typeof CreateEndpointBody>
export type UpdateEndpointInput = Static<typeof UpdateEndpointBody>
export type EndpointStatusInput = Static<typeof EndpointStatusBody>
export type EndpointCacheInput = Static<typeof EndpointCacheBody>
export type EndpointWsaInput = Static<typeof EndpointWsaBody>
