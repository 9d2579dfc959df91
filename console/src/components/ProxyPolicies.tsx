import { ApiError } from '../api.ts'
import { useSignedIn } from '../context.ts'
import { useLoad } from '../hooks.ts'
import {
  conditionText,
  PIPELINES,
  type ProxyPolicies as Policies,
  type PolicyView,
  typeLabel,
} from '../policies.ts'
import { EmptyState, ErrorMessage, Loading } from './ui.tsx'

type Loaded = { policies: Policies } | { forbidden: string }

/**
 * A proxy's policies, pipeline by pipeline in the order the gateway runs them: the
 * proxy-wide ones first, then each endpoint's. Reading them needs ROLE_MANAGE_PROXIES,
 * so a refusal is a sentence here, not a failed page.
 */
export function ProxyPolicies(props: { project: string; proxy: string }) {
  const { api } = useSignedIn()
  const { project, proxy } = props
  const loaded = useLoad<Loaded>(async () => {
    try {
      const policies = await api.policies(project, proxy)
      return { policies: policies ?? emptyPolicies() }
    } catch (e) {
      if (e instanceof ApiError && e.status === 403) return { forbidden: e.message }
      throw e
    }
  }, [api, project, proxy])
  const data = loaded.data

  if (loaded.error) return <ErrorMessage>{loaded.error}</ErrorMessage>
  if (!data) return loaded.loading ? <Loading /> : null
  if ('forbidden' in data) {
    return (
      <p className="muted">
        Only people with the role ROLE_MANAGE_PROXIES may read this proxy's policies.
      </p>
    )
  }
  const p = data.policies
  const endpoints = p.endpointList.filter((e) => count(e) > 0)
  if (count(p) === 0 && endpoints.length === 0) {
    return (
      <EmptyState title="No policies">
        Requests pass to the backend unchecked: no policy runs on this proxy or its endpoints.
      </EmptyState>
    )
  }
  return (
    <>
      <h3>Whole proxy</h3>
      <PipelineTables owner="the whole proxy" lists={p} />
      {endpoints.map((e) => (
        <div key={`${e.httpMethod} ${e.endpoint}`}>
          <h3 className="mono break">
            {e.httpMethod} {e.endpoint}
          </h3>
          <PipelineTables owner={`${e.httpMethod} ${e.endpoint}`} lists={e} />
        </div>
      ))}
    </>
  )
}

const emptyPolicies = (): Policies => ({
  requestPolicyList: [],
  responsePolicyList: [],
  errorPolicyList: [],
  endpointList: [],
})

const count = (lists: Omit<Policies, 'endpointList'>) =>
  PIPELINES.reduce((n, [key]) => n + lists[key].length, 0)

function PipelineTables(props: { owner: string; lists: Omit<Policies, 'endpointList'> }) {
  if (count(props.lists) === 0) return <p className="muted">No policies.</p>
  return (
    <>
      {PIPELINES.map(([key, label]) => {
        const rows = props.lists[key]
        const caption = `${label} policies of ${props.owner}`
        return rows.length === 0 ? (
          <p key={key} className="muted">
            No {label.toLowerCase()} policies.
          </p>
        ) : (
          <PolicyTable key={key} caption={caption} rows={rows} />
        )
      })}
    </>
  )
}

function PolicyTable(props: { caption: string; rows: readonly PolicyView[] }) {
  return (
    <div className="table-wrap">
      <table className="table responsive">
        <caption className="table-caption">{props.caption}</caption>
        <thead>
          <tr>
            <th scope="col">Order</th>
            <th scope="col">Name</th>
            <th scope="col">Type</th>
            <th scope="col">Active</th>
            <th scope="col">Runs when</th>
          </tr>
        </thead>
        <tbody>
          {props.rows.map((p, i) => (
            <tr key={p.name}>
              <td data-label="Order">{i + 1}</td>
              <th scope="row" data-label="Name" className="cell-name break">
                {p.name}
              </th>
              <td data-label="Type">{typeLabel(p.type)}</td>
              <td data-label="Active">{p.active ? 'Yes' : 'No'}</td>
              <td data-label="Runs when" className="mono break">
                {conditionText(p.policyCondition)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}
