import type { ReactNode } from 'react'
import type { Deployment, EndpointRow, ProxyView } from '../proxies.ts'
import { DateTime, EmptyState } from './ui.tsx'

/** Per environment: deployed or not, and whether the deployed revision is out of date. */
export function DeploymentBadges(props: { deployments: readonly Deployment[] }) {
  if (props.deployments.length === 0) return <span className="muted">No environments</span>
  return (
    <ul className="deploy-list">
      {props.deployments.map((d) => (
        <li key={d.environmentName}>
          <span className="break">{d.environmentName}</span>{' '}
          <span className={`badge ${d.deployed ? 'badge-active' : 'badge-expired'}`}>
            {d.deployed ? 'Deployed' : 'Not deployed'}
          </span>
          {d.redeployRequired ? (
            <>
              {' '}
              <span className="badge badge-warning">Redeploy required</span>
            </>
          ) : null}
        </li>
      ))}
    </ul>
  )
}

export function DeploymentTable(props: { proxy: string; deployments: readonly Deployment[] }) {
  if (props.deployments.length === 0) {
    return (
      <EmptyState title="No environments">
        The project may use no environment yet: an administrator assigns environments to projects.
      </EmptyState>
    )
  }
  return (
    <div className="table-wrap">
      <table className="table responsive">
        <caption className="visually-hidden">Deployments of {props.proxy}</caption>
        <thead>
          <tr>
            <th scope="col">Environment</th>
            <th scope="col">Status</th>
            <th scope="col">Redeploy required</th>
            <th scope="col">Deployed</th>
            <th scope="col">Deployed by</th>
          </tr>
        </thead>
        <tbody>
          {props.deployments.map((d) => (
            <tr key={d.environmentName}>
              <th scope="row" data-label="Environment" className="cell-name">
                {d.environmentName}
              </th>
              <td data-label="Status">
                <span className={`badge ${d.deployed ? 'badge-active' : 'badge-expired'}`}>
                  {d.deployed ? 'Deployed' : 'Not deployed'}
                </span>
              </td>
              <td data-label="Redeploy required">
                {d.redeployRequired ? (
                  <span className="badge badge-warning">Yes: the proxy changed since</span>
                ) : (
                  'No'
                )}
              </td>
              <td data-label="Deployed">
                <DateTime iso={d.deployedAt} />
              </td>
              <td data-label="Deployed by">
                {d.deployedBy ?? <span className="muted">Nobody</span>}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}

export function EndpointTable(props: { proxy: string; endpoints: readonly EndpointRow[] }) {
  if (props.endpoints.length === 0) {
    return (
      <EmptyState title="No endpoints">
        A reverse proxy passes every path under its relative path to its backend.
      </EmptyState>
    )
  }
  return (
    <div className="table-wrap">
      <table className="table responsive">
        <caption className="visually-hidden">Endpoints of {props.proxy}</caption>
        <thead>
          <tr>
            <th scope="col">Method</th>
            <th scope="col">Path</th>
            <th scope="col">Description</th>
            <th scope="col">Active</th>
            <th scope="col">Backend</th>
          </tr>
        </thead>
        <tbody>
          {props.endpoints.map((e) => (
            <tr key={`${e.method} ${e.path}`}>
              <td data-label="Method" className="mono">
                {e.method}
              </td>
              <th scope="row" data-label="Path" className="mono break">
                {e.path}
              </th>
              <td data-label="Description">
                {e.description || <span className="muted">None</span>}
              </td>
              <td data-label="Active">{e.active ? 'Yes' : 'No'}</td>
              <td data-label="Backend" className="mono break">
                {e.backendMethod} {e.backendPath}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}

const yesNo = (b: boolean | undefined) => (b === undefined ? 'Not set' : b ? 'Yes' : 'No')

/** Where clients call the proxy, and where it sends them. */
export function RouteDetails(props: { proxy: ProxyView }) {
  const { clientRoute: c, routing: r } = props.proxy
  return (
    <>
      <dl className="details">
        <Item label="Relative paths">{c.relativePathList.join(', ')}</Item>
        <Item label="Virtual hosts">{c.virtualHostList.join(', ') || 'Any'}</Item>
        <Item label="Methods">{c.methodList?.join(', ') || 'Any'}</Item>
        <Item label="Headers">
          {c.headerList?.map((h) => `${h.name}: ${h.value}`).join(', ') || 'None'}
        </Item>
        <Item label="Buffer request">{yesNo(c.bufferRequest)}</Item>
        <Item label="Buffer response">{yesNo(c.bufferResponse)}</Item>
        <Item label="Routing">{r.routingEnabled ? 'Enabled' : 'Disabled'}</Item>
        <Item label="Mirroring">{yesNo(r.mirrorEnabled)}</Item>
        <Item label="Mirror addresses">
          {r.mirrorAddressList?.map((m) => m.address).join(', ') || 'None'}
        </Item>
        <Item label="Load balancing">{r.loadBalanceAlgorithm ?? 'Not set'}</Item>
      </dl>
      <div className="table-wrap">
        <table className="table">
          <caption className="table-caption">Routing addresses</caption>
          <thead>
            <tr>
              <th scope="col">Address</th>
              <th scope="col">Weight</th>
              <th scope="col">Health check</th>
            </tr>
          </thead>
          <tbody>
            {r.routingAddressList.map((a) => (
              <tr key={a.address}>
                <th scope="row" className="mono break">
                  {a.address}
                </th>
                <td>{a.weight}</td>
                <td>{a.healthCheckEnabled ? 'On' : 'Off'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  )
}

function Item(props: { label: string; children: ReactNode }) {
  return (
    <div>
      <dt>{props.label}</dt>
      <dd>{props.children}</dd>
    </div>
  )
}
