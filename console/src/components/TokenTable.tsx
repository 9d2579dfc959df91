import { type ReactNode, useId } from 'react'
import type { TokenLimitsInput, TokenView } from '../api.ts'
import { now } from '../clock.ts'
import { expiresSoon, soonFirst } from '../expiring.ts'
import { expiresIn, formatExpiry, formatTime, SOURCE_LABEL, shortTokenId } from '../format.ts'
import { DateTime, EmptyState, StatusBadge } from './ui.tsx'

/**
 * A user's tokens in two tables, the live ones first and the revoked and expired ones
 * apart, with the switch that adds the token endpoint's short-lived tokens. Among the
 * live ones, those expiring within 7 days come first, marked.
 */
export function TokenSections(props: {
  tokens: TokenView[]
  caption: string
  onRevoke?: (token: TokenView) => void
  /** Offers Rotate on each active token not yet rotated (My Profile). */
  onRotate?: (token: TokenView) => void
  shortLived: boolean
  onShortLived(show: boolean): void
  /** Shown when there is no token at all. */
  empty: ReactNode
}) {
  const ids = { active: useId(), inactive: useId(), hint: useId() }
  const active = soonFirst(
    props.tokens.filter((t) => t.status === 'active'),
    now(),
  )
  const inactive = props.tokens.filter((t) => t.status !== 'active')
  return (
    <>
      <label className="choice switch">
        <input
          type="checkbox"
          role="switch"
          checked={props.shortLived}
          aria-checked={props.shortLived}
          aria-describedby={ids.hint}
          onChange={(e) => props.onShortLived(e.target.checked)}
        />
        Show short-lived
      </label>
      <p className="hint" id={ids.hint}>
        Tokens from the token endpoint (POST /apiops/auth/token) last an hour, like a session: they
        are listed only with this switch on.
      </p>
      {props.tokens.length === 0 ? (
        props.empty
      ) : (
        <section aria-labelledby={ids.active}>
          <h3 id={ids.active} className="minor">
            Active tokens
          </h3>
          {active.length > 0 ? (
            <TokenTable tokens={active} caption={`${props.caption}: active`} {...revoker(props)} />
          ) : (
            <EmptyState title="No active tokens" />
          )}
        </section>
      )}
      {inactive.length > 0 ? (
        <section aria-labelledby={ids.inactive}>
          <h3 id={ids.inactive} className="minor">
            Revoked and expired
          </h3>
          <TokenTable tokens={inactive} caption={`${props.caption}: revoked and expired`} />
        </section>
      ) : null}
    </>
  )
}

type Actions = {
  onRevoke?: ((token: TokenView) => void) | undefined
  onRotate?: ((token: TokenView) => void) | undefined
}

const revoker = (props: Actions): Actions => ({
  ...(props.onRevoke ? { onRevoke: props.onRevoke } : {}),
  ...(props.onRotate ? { onRotate: props.onRotate } : {}),
})

/** A token's expiry in a table cell: "Never", "valid through ... (UTC)", or its instant. */
export function Expiry(props: { iso: string | null }) {
  const { iso } = props
  if (iso === null) return <span className="muted">Never</span>
  const text = formatExpiry(iso)
  return text.startsWith('valid through') ? <span>{text}</span> : <DateTime iso={iso} />
}

/**
 * The mark of a token that stops within 7 days, in words (not colour alone): "Expires in
 * 3 days", or, for one replaced by rotation, when its grace period ends.
 */
function SoonMark(props: { t: TokenView }) {
  const { t } = props
  if (t.expiresAt === null || !expiresSoon(t, now())) return null
  return (
    <span className="sub">
      <span className="badge badge-warning badge-wrap">
        {t.rotatedTo
          ? `Rotated: ends at ${formatTime(t.expiresAt)} (grace)`
          : expiresIn(t.expiresAt, now())}
      </span>
    </span>
  )
}

/** A token's short id, monospace; the whole id on hover. */
export function ShortTokenId(props: { id: string }) {
  return (
    <code className="mono" title={`Token id ${props.id}`}>
      {shortTokenId(props.id)}
    </code>
  )
}

/** Tokens as a table (cards on a phone); the secret is never here, only its metadata. */
export function TokenTable(props: { tokens: TokenView[]; caption: string } & Actions) {
  return (
    <div className="table-wrap">
      <table className="table responsive">
        <caption className="visually-hidden">{props.caption}</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Token id</th>
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
            <TokenRow key={t.id} t={t} onRevoke={props.onRevoke} onRotate={props.onRotate} />
          ))}
        </tbody>
      </table>
    </div>
  )
}

/** One token's row. */
function TokenRow(props: { t: TokenView } & Actions) {
  const { t, onRevoke } = props
  const soon = expiresSoon(t, now())
  return (
    <tr className={t.status !== 'active' ? 'row-dim' : soon ? 'row-attention' : undefined}>
      <th scope="row" data-label="Name" className="cell-name">
        {t.name}
      </th>
      <td data-label="Token id">
        <ShortTokenId id={t.id} />
      </td>
      <td data-label="Created">
        <DateTime iso={t.createdAt} />
      </td>
      <td data-label="Expires">
        <Expiry iso={t.expiresAt} />
        <SoonMark t={t} />
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
      {onRevoke ? <RowActions t={t} onRevoke={onRevoke} onRotate={props.onRotate} /> : null}
    </tr>
  )
}

/** Rotate (a live token not yet rotated) and Revoke (any live token). */
function RowActions(props: { t: TokenView; onRevoke(t: TokenView): void } & Actions) {
  const { t, onRotate } = props
  if (t.status !== 'active') return <td data-label="" className="cell-actions" />
  return (
    <td data-label="" className="cell-actions">
      <div className="row-actions">
        {onRotate && !t.rotatedTo ? (
          <button
            type="button"
            className="button button-small"
            aria-label={`Rotate ${t.name}`}
            onClick={() => onRotate(t)}
          >
            Rotate
          </button>
        ) : null}
        <button
          type="button"
          className="button button-small button-danger-outline"
          aria-label={`Revoke ${t.name}`}
          onClick={() => props.onRevoke(t)}
        >
          Revoke
        </button>
      </div>
    </td>
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
