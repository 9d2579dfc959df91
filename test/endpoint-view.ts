/** An endpoint as answers show it (the documented object and apiops' spec facts). */
export interface EndpointAnswer {
  endpoint: string
  httpMethod: string
  operationId: string | null
  summary: string | null
  soapAction: string | null
}

/**
 * A proxy's endpoints reduced to what its spec declared (method, path, operationId,
 * summary, and soapAction for SOAP): what the spec import tests compare.
 */
export function operationsOf(proxy: { endpoints: EndpointAnswer[] }) {
  return proxy.endpoints.map((e) => ({
    method: e.httpMethod,
    path: e.endpoint,
    operationId: e.operationId,
    summary: e.summary,
    ...(e.soapAction === null ? {} : { soapAction: e.soapAction }),
  }))
}
