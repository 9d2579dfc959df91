import type { ReactNode } from 'react'
import { DeploymentTable, EndpointTable, RouteDetails } from '../components/ProxyParts.tsx'
import { ProxyPolicies } from '../components/ProxyPolicies.tsx'
import { ProxySettings } from '../components/ProxySettings.tsx'
import { ProxyTraffic } from '../components/ProxyTraffic.tsx'
import { DateTime, ErrorMessage, Link, Loading } from '../components/ui.tsx'
import { useSignedIn } from '../context.ts'
import { useLoad } from '../hooks.ts'
import { explained, type ProxyView, proxyEndpoints } from '../proxies.ts'
import { paths } from '../router.ts'

/** One API proxy, read-only: what it is, where it is deployed, its endpoints and settings. */
export function ProxyDetail(props: { project: string; name: string }) {
  const { api } = useSignedIn()
  const { project, name } = props
  const loaded = useLoad(async () => {
    const proxy = await explained(api.proxy(project, name), `the proxy ${name}`)
    return { proxy, endpoints: await proxyEndpoints(api, project, proxy) }
  }, [api, project, name])
  const data = loaded.data

  return (
    <main className="page" id="main">
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <Link to={paths.proxies}>Proxies</Link> <span aria-hidden="true">/</span>{' '}
        <Link to={paths.proxiesOf(project)} className="break">
          {project}
        </Link>{' '}
        <span aria-hidden="true">/</span> <span aria-current="page">{name}</span>
      </nav>
      <div className="page-head">
        <h1 className="break">{name}</h1>
      </div>
      <ErrorMessage>{loaded.error}</ErrorMessage>
      {loaded.loading && !data ? <Loading /> : null}
      {data ? (
        <>
          <Section id="proxy-about" title="About">
            <About proxy={data.proxy} />
          </Section>
          <Section id="proxy-deployments" title="Deployments">
            <DeploymentTable proxy={name} deployments={data.proxy.deploymentList} />
          </Section>
          <Section id="proxy-traffic" title="Traffic, last 5 minutes">
            <ProxyTraffic project={project} proxy={name} />
          </Section>
          <Section id="proxy-endpoints" title="Endpoints">
            <EndpointTable proxy={name} endpoints={data.endpoints} />
          </Section>
          <Section id="proxy-policies" title="Policies">
            <ProxyPolicies project={project} proxy={name} />
          </Section>
          <Section id="proxy-route" title="Client route and routing">
            <RouteDetails proxy={data.proxy} />
          </Section>
          <Section id="proxy-settings" title="Settings">
            <ProxySettings proxy={data.proxy} />
          </Section>
        </>
      ) : null}
    </main>
  )
}

function Section(props: { id: string; title: string; children: ReactNode }) {
  return (
    <section className="card" aria-labelledby={props.id}>
      <h2 id={props.id}>{props.title}</h2>
      {props.children}
    </section>
  )
}

function About(props: { proxy: ProxyView }) {
  const p = props.proxy
  return (
    <dl className="details">
      <div>
        <dt>Description</dt>
        <dd>{p.description || <span className="muted">No description</span>}</dd>
      </div>
      <div>
        <dt>API type</dt>
        <dd>{p.apiType}</dd>
      </div>
      <div>
        <dt>Created from</dt>
        <dd>{p.creationType}</dd>
      </div>
      <div>
        <dt>Spec URL</dt>
        <dd className="break">{p.specUrl ?? <span className="muted">None</span>}</dd>
      </div>
      <div>
        <dt>Revision</dt>
        <dd>{p.revision}</dd>
      </div>
      <div>
        <dt>Created</dt>
        <dd>
          <DateTime iso={p.createdAt} />
        </dd>
      </div>
      <div>
        <dt>Updated</dt>
        <dd>
          <DateTime iso={p.updatedAt} />
        </dd>
      </div>
    </dl>
  )
}
