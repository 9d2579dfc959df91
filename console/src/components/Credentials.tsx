import { useSignedIn } from '../context.ts'
import { useLoad } from '../hooks.ts'
import type { CredentialAccess, CredentialView } from '../policies.ts'
import { explained } from '../proxies.ts'
import { EmptyState, ErrorMessage, Loading } from './ui.tsx'

interface Row extends CredentialView {
  /** null when the access list could not be read (the credential deleted since). */
  access: CredentialAccess[] | null
}

const KIND: Record<CredentialAccess['type'], string> = {
  API_PROXY: 'API proxy',
  API_PROXY_GROUP: 'API proxy group',
}

/** A project's credentials and what each may call (read-only). */
export function Credentials(props: { project: string }) {
  const { api } = useSignedIn()
  const { project } = props
  const loaded = useLoad(async () => {
    const list = await explained(api.credentials(project), `the credentials of ${project}`)
    const access = await Promise.all(
      list.map((c) => api.credentialAccess(project, c.username).catch(() => null)),
    )
    return list.map((c, i): Row => ({ ...c, access: access[i] ?? null }))
  }, [api, project])
  const rows = loaded.data

  return (
    <section className="card" aria-labelledby="credentials-head">
      <h2 id="credentials-head">Credentials</h2>
      <ErrorMessage>{loaded.error}</ErrorMessage>
      {loaded.loading && !rows ? (
        <Loading />
      ) : !rows ? null : rows.length === 0 ? (
        <EmptyState title={`No credentials in ${project} yet`}>
          Credentials are the identities API clients sign in with; people with the role
          ROLE_API_SECURITY create them through the API.
        </EmptyState>
      ) : (
        <div className="table-wrap">
          <table className="table responsive">
            <caption className="visually-hidden">Credentials of {project}</caption>
            <thead>
              <tr>
                <th scope="col">Username</th>
                <th scope="col">Full name</th>
                <th scope="col">Enabled</th>
                <th scope="col">Expired</th>
                <th scope="col">May call</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((c) => (
                <tr key={c.username}>
                  <th scope="row" data-label="Username" className="cell-name break">
                    {c.username}
                  </th>
                  <td data-label="Full name">{c.fullName}</td>
                  <td data-label="Enabled">{c.enabled ? 'Yes' : 'No'}</td>
                  <td data-label="Expired">{c.expired ? 'Yes' : 'No'}</td>
                  <td data-label="May call">
                    <AccessList access={c.access} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  )
}

function AccessList(props: { access: CredentialAccess[] | null }) {
  if (props.access === null) return <span className="muted">Could not be read</span>
  if (props.access.length === 0) return <span className="muted">Nothing yet</span>
  return (
    <ul className="deploy-list">
      {props.access.map((a) => (
        <li key={`${a.type} ${a.name}`}>
          <span className="break">{a.name}</span> <span className="muted">({KIND[a.type]})</span>
        </li>
      ))}
    </ul>
  )
}
