import type { AuditEvent, AuditOutcome } from '../api.ts'
import { actionLabel, foldedSummary, OUTCOME_LABEL, shortUserAgent } from '../format.ts'
import { paths } from '../router.ts'
import { ShortTokenId } from './TokenTable.tsx'
import { DateTime, Link } from './ui.tsx'

const OUTCOME_BADGE: Record<AuditOutcome, string> = {
  success: 'badge-active',
  failure: 'badge-failure',
  denied: 'badge-revoked',
}

export function OutcomeBadge(props: { outcome: AuditOutcome; status: number }) {
  return (
    <>
      <span className={`badge ${OUTCOME_BADGE[props.outcome]}`}>
        {OUTCOME_LABEL[props.outcome]}
      </span>
      {props.status > 0 ? <span className="sub">HTTP {props.status}</span> : null}
    </>
  )
}

/** Audit events as a table (cards on a phone): what, when, who, on what, from where, how it ended. */
export function AuditTable(props: { events: AuditEvent[]; caption: string; showActor: boolean }) {
  return (
    <div className="table-wrap">
      <table className="table responsive audit-table">
        <caption className="visually-hidden">{props.caption}</caption>
        <thead>
          <tr>
            <th scope="col">What</th>
            <th scope="col">When</th>
            {props.showActor ? <th scope="col">Who</th> : null}
            <th scope="col">Target</th>
            <th scope="col">From</th>
            <th scope="col">Outcome</th>
          </tr>
        </thead>
        <tbody>
          {props.events.map((e) => (
            <tr key={e.id} className={e.outcome === 'success' ? undefined : 'row-attention'}>
              <th scope="row" data-label="What" className="cell-name">
                {actionLabel(e.action)}
                <span className="sub mono">{e.action}</span>
              </th>
              <td data-label="When">
                <DateTime iso={e.at} />
              </td>
              {props.showActor ? (
                <td data-label="Who" className="break">
                  {e.actor ?? <span className="muted">Unknown</span>}
                  {e.usernameHash ? (
                    <span className="sub">
                      <Link to={paths.auditOfUnknown(e.usernameHash)}>
                        Attempts with the same name
                      </Link>
                    </span>
                  ) : null}
                </td>
              ) : null}
              <td data-label="Target" className="cell-target">
                <Target event={e} />
              </td>
              <td data-label="From" className="break">
                {e.clientAddress}
                {e.userAgent ? (
                  <span className="sub" title={e.userAgent}>
                    {shortUserAgent(e.userAgent)}
                  </span>
                ) : null}
                {e.tokenId ? (
                  <span className="sub">
                    token <ShortTokenId id={e.tokenId} />
                  </span>
                ) : null}
              </td>
              <td data-label="Outcome">
                <OutcomeBadge outcome={e.outcome} status={e.status} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}

/** What was acted on; for a summary of folded failures, that in words. */
function Target(props: { event: AuditEvent }) {
  const { target, foldedCount } = props.event
  const summary = foldedCount === null ? null : foldedSummary(target)
  if (summary) {
    return (
      <>
        {summary}
        <span className="sub mono">{target}</span>
      </>
    )
  }
  return target ? (
    <span className="mono">
      <WithShortTokenIds text={target} />
    </span>
  ) : (
    <span className="muted">—</span>
  )
}

/** A token id (32 hex) named in a target, such as tokenId=..., as the short id token lists show. */
const TOKEN_ID_FIELD = /\b((?:tokenId|newTokenId|chainId)=)([0-9a-f]{32})\b/g

function WithShortTokenIds(props: { text: string }) {
  const parts = props.text.split(TOKEN_ID_FIELD)
  // split() with two groups: text, key, id, text, key, id, ..., text.
  return (
    <>
      {parts.map((part, i) =>
        i % 3 === 2 ? (
          // biome-ignore lint/suspicious/noArrayIndexKey: the parts of one fixed text
          <ShortTokenId key={i} id={part} />
        ) : (
          part
        ),
      )}
    </>
  )
}

/** Newer / Older for a newest-first list the server pages. */
export function Pager(props: {
  label: string
  page: number
  size: number
  shown: number
  total: number
  /** false: the server stopped counting at `total` (the log holds more). */
  exact: boolean
  onPage(page: number): void
  /** The words for another list than the audit log (newest first). */
  words?: { none: string; previous: string; next: string }
}) {
  const words = props.words ?? { none: 'No events', previous: 'Newer', next: 'Older' }
  const first = props.shown === 0 ? 0 : props.page * props.size + 1
  const last = props.page * props.size + props.shown
  const total = props.exact ? `${props.total}` : `more than ${props.total}`
  const more = props.exact ? last < props.total : props.shown === props.size
  return (
    <nav className="pager" aria-label={props.label}>
      <p className="pager-status">
        {props.total === 0
          ? words.none
          : props.shown === 0
            ? `Past the last page (${total} in all)`
            : `${first}–${last} of ${total}`}
      </p>
      <div className="pager-buttons">
        <button
          type="button"
          className="button button-small"
          disabled={props.page === 0}
          onClick={() => props.onPage(props.page - 1)}
        >
          {words.previous}
        </button>
        <button
          type="button"
          className="button button-small"
          disabled={!more}
          onClick={() => props.onPage(props.page + 1)}
        >
          {words.next}
        </button>
      </div>
    </nav>
  )
}
