import { useId } from 'react'
import type { Api, Paged } from '../api.ts'
import { Pager } from '../components/AuditTable.tsx'
import { Credentials } from '../components/Credentials.tsx'
import { DeploymentBadges } from '../components/ProxyParts.tsx'
import { EmptyState, ErrorMessage, Link, Loading } from '../components/ui.tsx'
import { useSignedIn } from '../context.ts'
import { useLoad } from '../hooks.ts'
import { type Deployment, explained, type ProxySummary } from '../proxies.ts'
import { navigate, paths, useSearch } from '../router.ts'

const SIZE = 20

interface Row extends ProxySummary {
  /** null when the proxy could not be read (deleted since the list was read). */
  deployments: Deployment[] | null
}

/**
 * One page of a project's proxies, paged by the server. The list answer has no
 * deployments, so each proxy on the page is read for them (at most SIZE reads).
 */
async function loadPage(api: Api, project: string, page: number): Promise<Paged<Row>> {
  const list = await explained(api.proxies(project, page, SIZE), `the proxies of ${project}`)
  const deployments = await Promise.all(
    list.resultList.map((p) =>
      api.proxy(project, p.name).then(
        (d) => d.deploymentList,
        () => null,
      ),
    ),
  )
  return {
    ...list,
    resultList: list.resultList.map((p, i) => ({ ...p, deployments: deployments[i] ?? null })),
  }
}

function pageOf(search: string): number {
  const page = Number(new URLSearchParams(search).get('page') ?? '0')
  return Number.isInteger(page) && page > 0 ? page : 0
}

/** A project's API proxies (read-only): choose the project, page through its proxies. */
export function Proxies(props: { project: string | null }) {
  const { api, isAdmin } = useSignedIn()
  const projects = useLoad(() => api.projects(), [api])
  const names = (projects.data ?? []).map((p) => p.name)
  const project = props.project ?? names[0] ?? null

  return (
    <main className="page" id="main">
      <div className="page-head">
        <h1>Proxies</h1>
      </div>
      <ErrorMessage>{projects.error}</ErrorMessage>
      {projects.loading && !projects.data ? (
        <Loading />
      ) : project === null ? (
        projects.data ? (
          <NoProjects isAdmin={isAdmin} />
        ) : null
      ) : (
        <>
          <ProjectChooser
            names={names.includes(project) ? names : [project, ...names]}
            value={project}
          />
          <ProxyList key={project} project={project} />
          <Credentials key={`credentials ${project}`} project={project} />
        </>
      )}
    </main>
  )
}

function NoProjects(props: { isAdmin: boolean }) {
  return (
    <div className="alert alert-info" role="status">
      {props.isAdmin ? (
        <>
          There are no projects yet, so there are no proxies to show.{' '}
          <Link to={paths.projects}>Create a project</Link>.
        </>
      ) : (
        <>
          You are not a member of any project. API proxies are read inside a project, by its
          members: ask an administrator to add you to one.
        </>
      )}
    </div>
  )
}

function ProjectChooser(props: { names: readonly string[]; value: string }) {
  const id = useId()
  return (
    <form className="form inline-form" onSubmit={(e) => e.preventDefault()}>
      <div className="field">
        <label htmlFor={id}>Project</label>
        <select
          id={id}
          value={props.value}
          onChange={(e) => navigate(paths.proxiesOf(e.target.value))}
        >
          {props.names.map((n) => (
            <option key={n} value={n}>
              {n}
            </option>
          ))}
        </select>
      </div>
    </form>
  )
}

function ProxyList(props: { project: string }) {
  const { api } = useSignedIn()
  const { project } = props
  const page = pageOf(useSearch())
  const proxies = useLoad(() => loadPage(api, project, page), [api, project, page])
  const data = proxies.data
  const rows = data?.resultList ?? []

  return (
    <section className="card card-flush" aria-label={`API proxies of ${project}`}>
      <ErrorMessage>{proxies.error}</ErrorMessage>
      {proxies.loading && !data ? (
        <Loading />
      ) : !data ? null : rows.length === 0 && page === 0 ? (
        <EmptyState title={`No API proxies in ${project} yet`}>
          Proxies are created through the API (apiProxies/url/ or apiProxies/file/) by people with
          the role ROLE_MANAGE_PROXIES.
        </EmptyState>
      ) : (
        <>
          <ProxyTable project={project} rows={rows} />
          <Pager
            label={`Pages of the proxies of ${project}`}
            page={data.page}
            size={data.size}
            shown={rows.length}
            total={data.totalCount}
            exact={data.totalCountExact}
            onPage={(p) => navigate(paths.proxiesOf(project, p))}
            words={{ none: 'No proxies', previous: 'Previous', next: 'Next' }}
          />
        </>
      )}
    </section>
  )
}

function ProxyTable(props: { project: string; rows: readonly Row[] }) {
  return (
    <div className="table-wrap">
      <table className="table responsive">
        <caption className="visually-hidden">API proxies of {props.project}</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Description</th>
            <th scope="col">Created from</th>
            <th scope="col">Relative path</th>
            <th scope="col">Deployments</th>
          </tr>
        </thead>
        <tbody>
          {props.rows.map((p) => (
            <tr key={p.name}>
              <th scope="row" data-label="Name" className="cell-name">
                <Link to={paths.proxy(props.project, p.name)} className="break">
                  {p.name}
                </Link>
              </th>
              <td data-label="Description">
                {p.description || <span className="muted">No description</span>}
              </td>
              <td data-label="Created from">{p.creationType}</td>
              <td data-label="Relative path" className="mono break">
                {p.relativePath}
              </td>
              <td data-label="Deployments">
                {p.deployments === null ? (
                  <span className="muted">Could not be read</span>
                ) : (
                  <DeploymentBadges deployments={p.deployments} />
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}
