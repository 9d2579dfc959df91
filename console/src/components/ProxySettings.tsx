import type { ReactNode } from 'react'
import type { ProxyView } from '../proxies.ts'

/** The settings' names in the answer, in words; a setting the console does not know yet keeps its own name. */
const TITLES: Record<string, string> = {
  apiKeys: 'API keys',
  cache: 'Cache',
  circuitBreaker: 'Circuit breaker',
  connection: 'Backend connection',
  cors: 'CORS',
  forwardedIpHeader: 'Forwarded IP header',
  hideSpecFile: 'Hide the spec file',
  jsonErrorTemplate: 'JSON error template',
  xmlErrorTemplate: 'XML error template',
  mtls: 'Mutual TLS to the backend',
  ntlm: 'NTLM to the backend',
  proxyServer: 'Outbound proxy server',
  trafficLog: 'Traffic log',
  soapToRest: 'SOAP to REST',
  enableWSA: 'WS-Addressing',
  enableWSRM: 'WS-ReliableMessaging',
  backendApiVersion: 'Backend API version',
  maintenanceModeSetting: 'Maintenance mode',
  specAuthorizationValueList: 'Spec authorization headers',
}

/** "cacheOnlyHttpGetRequests" as "Cache only http get requests". */
function words(key: string): string {
  const spaced = key.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase()
  return spaced.charAt(0).toUpperCase() + spaced.slice(1)
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)

/** One value as the API answered it (secrets arrive masked and are shown so). */
function Value(props: { value: unknown }): ReactNode {
  const { value } = props
  if (value === null || value === undefined) return <span className="muted">Not set</span>
  if (typeof value === 'boolean') return value ? 'Yes' : 'No'
  if (typeof value === 'number') return String(value)
  if (typeof value === 'string') {
    if (value === '') return <span className="muted">Empty</span>
    if (value.length > 80 || value.includes('\n')) {
      return (
        <pre className="code">
          <code>{value}</code>
        </pre>
      )
    }
    return <span className="break">{value}</span>
  }
  if (Array.isArray(value)) {
    if (value.length === 0) return <span className="muted">None</span>
    if (value.every((v) => !isRecord(v))) return value.map(String).join(', ')
    return (
      <ul className="plain-list">
        {value.map((v, i) => (
          // An item of a list has no name of its own: its position is its identity.
          // biome-ignore lint/suspicious/noArrayIndexKey: read-only list, never reordered
          <li key={i}>
            <Fields record={v as Record<string, unknown>} />
          </li>
        ))}
      </ul>
    )
  }
  if (isRecord(value)) return <Fields record={value} />
  return String(value)
}

function Fields(props: { record: Record<string, unknown> }) {
  return (
    <dl className="details">
      {Object.entries(props.record).map(([key, value]) => (
        <div key={key}>
          <dt>{words(key)}</dt>
          <dd>
            <Value value={value} />
          </dd>
        </div>
      ))}
    </dl>
  )
}

/**
 * The proxy's settings as GET answers them: the plain ones in one list, then each
 * setting object in a disclosure of its own (closed, so the page stays short).
 */
export function ProxySettings(props: { proxy: ProxyView }) {
  const { proxy } = props
  const entries = Object.entries(proxy.settings)
  const plain = entries.filter(([, v]) => !isRecord(v))
  const groups = entries.filter(([, v]) => isRecord(v))
  return (
    <>
      <dl className="details">
        <div>
          <dt>Categories</dt>
          <dd>
            <Value value={proxy.categoryList} />
          </dd>
        </div>
        <div>
          <dt>Sharing</dt>
          <dd>{proxy.sharingType}</dd>
        </div>
        {plain.map(([key, value]) => (
          <div key={key}>
            <dt>{TITLES[key] ?? words(key)}</dt>
            <dd>
              <Value value={value} />
            </dd>
          </div>
        ))}
      </dl>
      {groups.map(([key, value]) => (
        <details key={key} className="setting-group">
          <summary>{TITLES[key] ?? words(key)}</summary>
          <Fields record={value as Record<string, unknown>} />
        </details>
      ))}
    </>
  )
}
