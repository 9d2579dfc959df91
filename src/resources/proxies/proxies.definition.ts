import { errors } from '../../errors.ts'
import { assertReferencesWellFormed } from './proxies.addresses.ts'
import type { CreationType } from './proxies.schemas.ts'
import { type DebugLog, readSpec, type SpecImport, type SpecUpload } from './spec-import.ts'

/** What a proxy is made of, as the request and its spec give it. */

export interface ClientRoute {
  relativePathList: string[]
  virtualHostList: string[]
}
interface RoutingAddress {
  address: string
  weight: number
  healthCheckEnabled: boolean
}
export interface Routing {
  routingEnabled: boolean
  routingAddressList: RoutingAddress[]
}

export interface ProxyInput {
  apiProxyName: string
  apiProxyDescription?: string | undefined
  apiProxyCreationType: CreationType
  specUrl?: string | undefined
  clientRoute?: { relativePathList: string[]; virtualHostList?: string[] | undefined } | undefined
  routingInfo?:
    | {
        routingAddressList: {
          address: string
          weight?: number | undefined
          healthCheckEnabled?: boolean | undefined
        }[]
        routingEnabled?: boolean | undefined
      }
    | undefined
  deploy?: boolean | undefined
  deployTargetEnvironmentNameList?: string[] | undefined
}

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
  const spec = await readSpec(specImport, input, log, upload)
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
  }
  const routing: Routing = {
    routingEnabled: input.routingInfo?.routingEnabled ?? true,
    routingAddressList: addresses.map((a) => ({
      address: a.address,
      weight: 'weight' in a && a.weight !== undefined ? a.weight : 100,
      healthCheckEnabled:
        'healthCheckEnabled' in a && a.healthCheckEnabled !== undefined
          ? a.healthCheckEnabled
          : false,
    })),
  }
  return { clientRoute, routing, endpoints: spec.endpoints }
}
