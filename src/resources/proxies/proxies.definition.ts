import type { Static } from 'typebox'
import { errors } from '../../errors.ts'
import { assertReferencesWellFormed } from './proxies.addresses.ts'
import type { ProxyFromUrlBody } from './proxies.schemas.ts'
import { clientRouteExtras, routingExtras } from './settings/settings.body.ts'
import type { StoredClientRoute, StoredRouting } from './settings/settings.model.ts'
import {
  type DebugLog,
  type ImportedSpec,
  readSpec,
  type SpecImport,
  type SpecUpload,
} from './spec-import.ts'

/** What a proxy is made of, as the request and its spec give it. */

export type ClientRoute = StoredClientRoute
export type Routing = StoredRouting

/** The documented body of `apiProxies/url/`, settings included. */
export type ProxyInput = Static<typeof ProxyFromUrlBody>

export const parseJson = <T>(text: string): T => JSON.parse(text) as T
export const apiTypeOf = (creationType: string): 'REST' | 'SOAP' =>
  creationType === 'WSDL' ? 'SOAP' : 'REST'

/**
 * What a proxy is made of, from the request and (for OPEN_API, SWAGGER and WSDL) the
 * spec it names or uploads: its operations, and its backend when the request gives none.
 */
export async function resolveDefinition(
  specImport: SpecImport,
  input: ProxyInput,
  log: DebugLog,
  upload?: SpecUpload,
) {
  const request = {
    apiProxyCreationType: input.apiProxyCreationType,
    specUrl: input.specUrl ?? undefined,
  }
  const spec = await readSpec(specImport, request, log, upload)
  return { ...defineFrom(input, spec), document: spec.document }
}

/** The client route and routing a body gives, over what its spec says (its backend, its operations). */
export function defineFrom(input: ProxyInput, spec: ImportedSpec) {
  const addresses =
    input.routingInfo?.routingAddressList ??
    (spec.backendUrl ? [{ address: spec.backendUrl }] : undefined)
  if (!addresses) {
    throw errors.validationFailed([
      {
        field: 'routingInfo',
        message:
          input.apiProxyCreationType === 'REVERSE_PROXY'
            ? 'is required for a REVERSE_PROXY: give at least one routing address'
            : 'is required: the spec names no backend server',
      },
    ])
  }
  assertReferencesWellFormed(addresses)
  const clientRoute: ClientRoute = {
    relativePathList: input.clientRoute?.relativePathList ?? [`/${input.apiProxyName}`],
    virtualHostList: input.clientRoute?.virtualHostList ?? [],
    ...clientRouteExtras(input.clientRoute),
  }
  const routing: Routing = {
    routingEnabled: input.routingInfo?.routingEnabled ?? true,
    ...routingExtras(input.routingInfo),
    routingAddressList: addresses.map((a) => ({
      address: a.address,
      weight: 'weight' in a && a.weight !== undefined ? a.weight : 100,
      healthCheckEnabled:
        'healthCheckEnabled' in a && a.healthCheckEnabled !== undefined
          ? a.healthCheckEnabled
          : false,
      ...('soapType' in a && a.soapType ? { soapType: a.soapType } : {}),
    })),
  }
  return { clientRoute, routing, endpoints: spec.endpoints }
}
