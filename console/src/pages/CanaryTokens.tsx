import { useState } from 'react'
import { ConfirmDialog, type ConfirmRequest } from '../components/Dialog.tsx'
import { ShortTokenId } from '../components/TokenTable.tsx'
import { DateTime, EmptyState, ErrorMessage, Loading, Notice } from '../components/ui.tsx'
import { useSignedIn } from '../context.ts'
import { useLoad } from '../hooks.ts'
import type { CanaryView } from '../my-tokens-api.ts'
import { CreateCanaryDialog } from './CreateCanaryDialog.tsx'

/*
 * My canary tokens, apart from the tokens that work: what they are, which one was ever
 * presented (when, from where), made here and disarmed here.
 */

export function CanaryTokens() {
  const { api } = useSignedIn()
  const canaries = useLoad(() => api.myCanaries(), [api])
  const [creating, setCreating] = useState(false)
  const [confirm, setConfirm] = useState<ConfirmRequest | null>(null)
  const [notice, setNotice] = useState<string | null>(null)
  const list = canaries.data ?? []

  function askDisarm(canary: CanaryView) {
    setNotice(null)
    setConfirm({
      title: 'Disarm canary token?',
      message: (
        <p>
          Disarm <strong className="break">{canary.name}</strong>? It is still refused, but its use
          raises no alert any more. This cannot be undone.
        </p>
      ),
      confirmLabel: 'Disarm',
      action: async () => {
        await api.disarmCanary(canary.id)
        await canaries.reload()
        setNotice(`Canary token “${canary.name}” was disarmed.`)
      },
    })
  }

  return (
    <section className="card" aria-labelledby="canary-heading">
      <div className="section-head">
        <div>
          <h2 id="canary-heading">Canary tokens</h2>
          <p className="section-text">
            A canary token looks like any API token but grants nothing: every use of it is refused
            and raises an alert, so one planted where a leak would show tells you of the leak.
          </p>
        </div>
        <button
          type="button"
          className="button"
          onClick={() => {
            setNotice(null)
            setCreating(true)
          }}
        >
          Create canary token
        </button>
      </div>
      <Notice>{notice}</Notice>
      <ErrorMessage>{canaries.error}</ErrorMessage>
      <TriggeredAlert canaries={list} />
      {canaries.loading && !canaries.data ? (
        <Loading />
      ) : canaries.error ? null : list.length === 0 ? (
        <EmptyState title="No canary tokens">
          Plant one in a repository, a configuration file or a vault you want to watch.
        </EmptyState>
      ) : (
        <CanaryTable canaries={list} onDisarm={askDisarm} />
      )}
      {creating ? (
        <CreateCanaryDialog
          onClose={() => setCreating(false)}
          onCreated={() => void canaries.reload()}
        />
      ) : null}
      <ConfirmDialog request={confirm} onDone={() => setConfirm(null)} />
    </section>
  )
}

/** Each canary ever presented, said at the top: someone holds a copy of it. */
function TriggeredAlert(props: { canaries: CanaryView[] }) {
  const used = props.canaries.filter((c) => c.lastTriggeredAt !== null)
  if (used.length === 0) return null
  return (
    <div className="alert alert-error">
      <strong>
        {used.length === 1 ? 'A canary token was used' : `${used.length} canary tokens were used`}:
        someone has a copy.
      </strong>
      <ul className="plain-list">
        {used.map((c) => (
          <li key={c.id}>
            “{c.name}” last at <DateTime iso={c.lastTriggeredAt} />
            {c.lastTriggeredFrom ? ` from ${c.lastTriggeredFrom}` : null}
          </li>
        ))}
      </ul>
    </div>
  )
}

function CanaryTable(props: { canaries: CanaryView[]; onDisarm(c: CanaryView): void }) {
  return (
    <div className="table-wrap">
      <table className="table responsive">
        <caption className="visually-hidden">My canary tokens</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Token id</th>
            <th scope="col">Created</th>
            <th scope="col">State</th>
            <th scope="col">Last triggered</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {props.canaries.map((c) => (
            <CanaryRow key={c.id} c={c} onDisarm={props.onDisarm} />
          ))}
        </tbody>
      </table>
    </div>
  )
}

function CanaryRow(props: { c: CanaryView; onDisarm(c: CanaryView): void }) {
  const { c } = props
  const triggered = c.lastTriggeredAt !== null
  return (
    <tr className={triggered ? 'row-attention' : c.armed ? undefined : 'row-dim'}>
      <th scope="row" data-label="Name" className="cell-name">
        {c.name}
      </th>
      <td data-label="Token id">
        <ShortTokenId id={c.id} />
      </td>
      <td data-label="Created">
        <DateTime iso={c.createdAt} />
      </td>
      <td data-label="State">
        <span className={`badge ${c.armed ? 'badge-active' : 'badge-expired'}`}>
          {c.armed ? 'Armed' : 'Disarmed'}
        </span>
        {c.disarmedAt ? (
          <span className="sub">
            <DateTime iso={c.disarmedAt} />
          </span>
        ) : null}
      </td>
      <td data-label="Last triggered">
        {triggered ? (
          <strong>
            <DateTime iso={c.lastTriggeredAt} />
            {c.lastTriggeredFrom ? <span className="sub">from {c.lastTriggeredFrom}</span> : null}
          </strong>
        ) : (
          <span className="muted">Never triggered</span>
        )}
      </td>
      <td data-label="" className="cell-actions">
        {c.armed ? (
          <button
            type="button"
            className="button button-small button-danger-outline"
            aria-label={`Disarm ${c.name}`}
            onClick={() => props.onDisarm(c)}
          >
            Disarm
          </button>
        ) : null}
      </td>
    </tr>
  )
}
