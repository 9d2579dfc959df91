import type { TokenLimitsInput, TokenView } from '../api.ts'
import { SOURCE_LABEL } from '../format.ts'
import { DateTime, StatusBadge } from './ui.tsx'

/** Tokens as a table (cards on a phone); the secret is never here, only its metadata. */
export function TokenTable(props: {
  tokens: TokenView[]
  caption: string
  onRevoke?: (token: TokenView) => void
}) {
  return (
    <div className="table-wrap">
      <table className="table responsive">
        <caption className="visually-hidden">{props.caption}</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Created</th>
            <th scope="col">Expires</th>
            <th scope="col">Last used</th>
            <th scope="col">Made with</th>
            <th scope="col">Limits</th>
            <th scope="col">Status</th>
            {props.onRevoke ? (
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            ) : null}
          </tr>
        </thead>
        <tbody>
          {props.tokens.map((t) => (
            <tr key={t.id} className={t.status === 'active' ? undefined : 'row-dim'}>
              <th scope="row" data-label="Name" className="cell-name">
                {t.name}
              </th>
              <td data-label="Created">
                <DateTime iso={t.createdAt} />
              </td>
              <td data-label="Expires">
                <DateTime iso={t.expiresAt} empty="Never" />
              </td>
              <td data-label="Last used">
                {t.lastUsedAt ? (
                  <>
                    <DateTime iso={t.lastUsedAt} />
                    {t.lastUsedFrom ? <span className="sub">from {t.lastUsedFrom}</span> : null}
                  </>
                ) : (
                  <span className="muted">Never used</span>
                )}
              </td>
              <td data-label="Made with">{SOURCE_LABEL[t.source]}</td>
              <td data-label="Limits">{limitsText(t.limits)}</td>
              <td data-label="Status">
                <StatusBadge status={t.status} />
                {t.revokedAt ? (
                  <span className="sub">
                    <DateTime iso={t.revokedAt} />
                  </span>
                ) : null}
              </td>
              {props.onRevoke ? (
                <td data-label="" className="cell-actions">
                  {t.status === 'active' ? (
                    <button
                      type="button"
                      className="button button-small button-danger-outline"
                      aria-label={`Revoke ${t.name}`}
                      onClick={() => props.onRevoke?.(t)}
                    >
                      Revoke
                    </button>
                  ) : null}
                </td>
              ) : null}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}

/** A token's limits in words for the list; "None" when it is not narrowed. */
export function limitsText(limits: TokenLimitsInput | undefined): string {
  if (!limits) return 'None'
  const parts = [
    limits.roles ? `roles: ${limits.roles.join(', ') || 'none'}` : null,
    limits.projects ? `projects: ${limits.projects.join(', ')}` : null,
    limits.readOnly ? 'read-only' : null,
    limits.allowFrom ? `from: ${limits.allowFrom.join(', ')}` : null,
  ].filter((p): p is string => p !== null)
  return parts.length > 0 ? parts.join('; ') : 'None'
}
