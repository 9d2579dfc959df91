import { useEffect } from 'react'
import { useSignedIn } from '../context.ts'
import { useLoad } from '../hooks.ts'
import type { TrafficOfProxy } from '../proxies.ts'
import { EmptyState, ErrorMessage, Loading } from './ui.tsx'

/** How often the figures are read again: "live" without loading the server. */
const REFRESH_MS = 10_000

const rate = (n: number) => `${n < 10 ? n.toFixed(2) : n.toFixed(0)}/s`
const share = (n: number) => `${(n * 100).toFixed(n > 0 && n < 0.01 ? 2 : 1)}%`
const ms = (n: number | null) => (n === null ? '-' : `${n < 10 ? n.toFixed(1) : n.toFixed(0)} ms`)

/**
 * A proxy's traffic over the last five minutes, per environment, from the gateways'
 * traffic records: request rate, error rate (5xx and gateway failures), p95 latency.
 */
export function ProxyTraffic(props: { project: string; proxy: string }) {
  const { api } = useSignedIn()
  const { project, proxy } = props
  const loaded = useLoad(() => api.proxyTraffic(project, proxy), [api, project, proxy])
  const { reload } = loaded
  useEffect(() => {
    const timer = setInterval(() => void reload(), REFRESH_MS)
    return () => clearInterval(timer)
  }, [reload])
  const data: TrafficOfProxy | undefined = loaded.data
  if (!data) return loaded.error ? <ErrorMessage>{loaded.error}</ErrorMessage> : <Loading />
  if (data.environmentList.length === 0) {
    return (
      <EmptyState title="No traffic">
        No gateway served this proxy in the last five minutes, and it is deployed nowhere.
      </EmptyState>
    )
  }
  return (
    <div className="table-wrap">
      <ErrorMessage>{loaded.error}</ErrorMessage>
      <table className="table responsive">
        <caption className="visually-hidden">Traffic of {proxy}, the last five minutes</caption>
        <thead>
          <tr>
            <th scope="col">Environment</th>
            <th scope="col">Requests</th>
            <th scope="col">Request rate</th>
            <th scope="col">Error rate</th>
            <th scope="col">p95 latency</th>
          </tr>
        </thead>
        <tbody>
          {data.environmentList.map((e) => (
            <tr key={e.environmentName}>
              <th scope="row" data-label="Environment" className="cell-name">
                {e.environmentName}
              </th>
              <td data-label="Requests">{e.requestCount}</td>
              <td data-label="Request rate">{rate(e.requestRate)}</td>
              <td data-label="Error rate">{share(e.errorRate)}</td>
              <td data-label="p95 latency">{ms(e.p95Ms)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}
