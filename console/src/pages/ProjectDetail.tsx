import { type FormEvent, useId, useState } from 'react'
import { type Member, messageOf } from '../api.ts'
import { ConfirmDialog, type ConfirmRequest } from '../components/Dialog.tsx'
import { DateTime, EmptyState, ErrorMessage, Link, Loading, Notice } from '../components/ui.tsx'
import { useSignedIn } from '../context.ts'
import { useLoad } from '../hooks.ts'
import { paths } from '../router.ts'

export function ProjectDetail(props: { name: string }) {
  const { api } = useSignedIn()
  const { name } = props
  const members = useLoad(() => api.members(name), [api, name])
  const users = useLoad(() => api.users(), [api])
  const [notice, setNotice] = useState<string | null>(null)
  const [confirm, setConfirm] = useState<ConfirmRequest | null>(null)
  const list = members.data ?? []
  const candidates = (users.data ?? [])
    .map((u) => u.username)
    .filter((u) => !list.some((m) => m.username === u))

  function askRemove(member: Member) {
    setNotice(null)
    setConfirm({
      title: 'Remove member?',
      message: (
        <p>
          Remove <strong>{member.username}</strong> from <strong className="break">{name}</strong>?
          Their tokens lose access to this project from the next request on.
        </p>
      ),
      confirmLabel: 'Remove member',
      action: async () => {
        await api.removeMember(name, member.username)
        await members.reload()
        setNotice(`“${member.username}” was removed from ${name}.`)
      },
    })
  }

  return (
    <main className="page" id="main">
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <Link to={paths.projects}>Projects</Link> <span aria-hidden="true">/</span>{' '}
        <span aria-current="page">{name}</span>
      </nav>
      <div className="page-head">
        <h1 className="break">{name}</h1>
      </div>
      <Notice>{notice}</Notice>
      <section className="card" aria-labelledby="members-heading">
        <h2 id="members-heading">Members</h2>
        <AddMemberForm
          project={name}
          candidates={candidates}
          onAdding={() => setNotice(null)}
          onAdded={async (who) => {
            await members.reload()
            setNotice(`“${who}” was added to ${name}.`)
          }}
        />
        <ErrorMessage>{members.error}</ErrorMessage>
        {members.loading && !members.data ? (
          <Loading />
        ) : list.length === 0 && !members.error ? (
          <EmptyState title="No members yet">
            Add people so they can see this project. Administrators see every project.
          </EmptyState>
        ) : (
          <MembersTable project={name} members={list} onRemove={askRemove} />
        )}
      </section>
      <ConfirmDialog request={confirm} onDone={() => setConfirm(null)} />
    </main>
  )
}

/** Username field (offering the users not yet members) and Add button, with its own error. */
function AddMemberForm(props: {
  project: string
  candidates: readonly string[]
  onAdding(): void
  onAdded(username: string): Promise<void>
}) {
  const { api } = useSignedIn()
  const [username, setUsername] = useState('')
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  const ids = { u: useId(), list: useId(), err: useId() }

  async function add(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    const who = username.trim()
    if (!who) {
      setError('Enter the username of the person to add.')
      return
    }
    setBusy(true)
    setError(null)
    props.onAdding()
    try {
      await api.addMember(props.project, who)
      setUsername('')
      await props.onAdded(who)
    } catch (e) {
      setError(messageOf(e))
    } finally {
      setBusy(false)
    }
  }

  return (
    <form className="form inline-form" onSubmit={add} noValidate>
      <div className="field">
        <label htmlFor={ids.u}>Username</label>
        <div className="inline-field">
          <input
            id={ids.u}
            list={ids.list}
            value={username}
            autoComplete="off"
            autoCapitalize="none"
            spellCheck={false}
            aria-invalid={error ? true : undefined}
            aria-describedby={error ? ids.err : undefined}
            onChange={(e) => setUsername(e.target.value)}
          />
          <datalist id={ids.list}>
            {props.candidates.map((u) => (
              <option key={u} value={u} />
            ))}
          </datalist>
          <button type="submit" className="button button-primary" disabled={busy}>
            Add member
          </button>
        </div>
        {error ? (
          <p className="field-error" id={ids.err} role="alert">
            {error}
          </p>
        ) : null}
      </div>
    </form>
  )
}

function MembersTable(props: {
  project: string
  members: readonly Member[]
  onRemove(member: Member): void
}) {
  return (
    <div className="table-wrap">
      <table className="table responsive">
        <caption className="visually-hidden">Members of {props.project}</caption>
        <thead>
          <tr>
            <th scope="col">Username</th>
            <th scope="col">Added</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {props.members.map((m) => (
            <tr key={m.username}>
              <th scope="row" data-label="Username" className="cell-name">
                {m.username}
              </th>
              <td data-label="Added">
                <DateTime iso={m.addedAt} />
              </td>
              <td data-label="" className="cell-actions">
                <button
                  type="button"
                  className="button button-small button-danger-outline"
                  aria-label={`Remove ${m.username}`}
                  onClick={() => props.onRemove(m)}
                >
                  Remove
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}
