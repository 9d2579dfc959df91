import { type FormEvent, type ReactNode, useEffect, useId, useState } from 'react'
import { messageOf, type Role, type TokenView } from '../api.ts'
import { ConfirmDialog, type ConfirmRequest } from '../components/Dialog.tsx'
import { RevokeEverywhere, revokedSummary } from '../components/RevokeEverywhere.tsx'
import { TokenTable } from '../components/TokenTable.tsx'
import { DateTime, EmptyState, ErrorMessage, Link, Loading, Notice } from '../components/ui.tsx'
import { useSignedIn } from '../context.ts'
import { useLoad } from '../hooks.ts'
import { navigate, paths } from '../router.ts'
import { RoleCheckboxes } from './Users.tsx'

export function UserDetail(props: { username: string }) {
  const { api, session } = useSignedIn()
  const { username } = props
  const user = useLoad(() => api.user(username), [api, username])
  const tokens = useLoad(() => api.userTokens(username), [api, username])
  const [roles, setRoles] = useState<Role[]>([])
  const [notice, setNotice] = useState<string | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [confirm, setConfirm] = useState<ConfirmRequest | null>(null)
  const [busy, setBusy] = useState(false)

  useEffect(() => {
    if (user.data) setRoles(user.data.roles)
  }, [user.data])

  if (user.loading && !user.data) return <PageShell username={username} body={<Loading />} />
  if (!user.data) {
    return <PageShell username={username} body={<ErrorMessage>{user.error}</ErrorMessage>} />
  }
  const u = user.data
  const isSelf = u.username === session.username
  const rolesChanged = roles.join() !== u.roles.join()

  function report(message: string) {
    setError(null)
    setNotice(message)
  }

  async function run(work: () => Promise<string>) {
    setBusy(true)
    setNotice(null)
    setError(null)
    try {
      report(await work())
    } catch (e) {
      setError(messageOf(e))
    } finally {
      setBusy(false)
    }
  }

  async function saveRoles() {
    await run(async () => {
      const added = roles.filter((r) => !u.roles.includes(r))
      const removed = u.roles.filter((r) => !roles.includes(r))
      try {
        if (added.length) await api.grantRoles(username, added)
        for (const role of removed) await api.revokeRole(username, role)
      } finally {
        await user.reload()
      }
      return `Roles of “${username}” were saved. They apply to their tokens from the next request on.`
    })
  }

  function askToggle() {
    if (u.enabled) {
      setConfirm({
        title: 'Disable user?',
        message: (
          <p>
            Disable <strong>{username}</strong>? They cannot log in, and all their tokens are
            refused from the next request on, until you enable them again.
          </p>
        ),
        confirmLabel: 'Disable user',
        action: async () => {
          await api.setEnabled(username, false)
          await user.reload()
          report(`User “${username}” was disabled.`)
        },
      })
    } else {
      void run(async () => {
        await api.setEnabled(username, true)
        await user.reload()
        return `User “${username}” was enabled.`
      })
    }
  }

  function askDelete() {
    setConfirm({
      title: 'Delete user?',
      message: (
        <p>
          Delete <strong>{username}</strong> and all their tokens? This cannot be undone.
        </p>
      ),
      confirmLabel: 'Delete user',
      action: async () => {
        await api.deleteUser(username)
        navigate(paths.users)
      },
    })
  }

  function askRevoke(token: TokenView) {
    setConfirm({
      title: 'Revoke token?',
      message: (
        <p>
          Revoke <strong className="break">{token.name}</strong> of {username}? It is refused from
          the next request on.
        </p>
      ),
      confirmLabel: 'Revoke token',
      action: async () => {
        await api.revokeUserToken(username, token.id)
        await tokens.reload()
        report(`Token “${token.name}” was revoked.`)
      },
    })
  }

  function askRevokeAll() {
    setConfirm({
      title: 'Revoke all tokens?',
      message: (
        <p>
          Revoke every active token of <strong>{username}</strong>? Every script and pipeline that
          uses one of them stops working at once.
        </p>
      ),
      confirmLabel: 'Revoke all tokens',
      action: async () => {
        const { revokedCount } = await api.revokeAllUserTokens(username)
        await tokens.reload()
        report(`${revokedCount} ${revokedCount === 1 ? 'token was' : 'tokens were'} revoked.`)
      },
    })
  }

  const tokenList = tokens.data ?? []
  const activeTokens = tokenList.filter((t) => t.status === 'active').length

  return (
    <PageShell
      username={username}
      badge={
        <span className={`badge ${u.enabled ? 'badge-active' : 'badge-revoked'}`}>
          {u.enabled ? 'Enabled' : 'Disabled'}
        </span>
      }
      body={
        <>
          <Notice>{notice}</Notice>
          <ErrorMessage>{error}</ErrorMessage>
          <div className="grid grid-2">
            <section className="card" aria-labelledby="roles-heading">
              <h2 id="roles-heading">Roles</h2>
              <RoleCheckboxes
                legend={`Roles of ${username}`}
                hideLegend
                value={roles}
                onChange={setRoles}
              />
              <div className="button-row">
                <button
                  type="button"
                  className="button button-primary"
                  disabled={!rolesChanged || busy}
                  onClick={saveRoles}
                >
                  Save roles
                </button>
              </div>
            </section>
            <section className="card" aria-labelledby="account-heading">
              <h2 id="account-heading">Account</h2>
              <dl className="details">
                <div>
                  <dt>Created</dt>
                  <dd>
                    <DateTime iso={u.createdAt} />
                  </dd>
                </div>
                {u.disabledAt ? (
                  <div>
                    <dt>Disabled</dt>
                    <dd>
                      <DateTime iso={u.disabledAt} />
                    </dd>
                  </div>
                ) : null}
                <div>
                  <dt>Activity</dt>
                  <dd>
                    <Link to={paths.auditOf(username)}>Audit events of {username}</Link>
                  </dd>
                </div>
              </dl>
              <div className="button-row">
                <button
                  type="button"
                  className={u.enabled ? 'button button-danger-outline' : 'button'}
                  onClick={askToggle}
                  disabled={busy || isSelf}
                >
                  {u.enabled ? 'Disable user' : 'Enable user'}
                </button>
                <button
                  type="button"
                  className="button button-danger-outline"
                  onClick={askDelete}
                  disabled={busy || isSelf}
                >
                  Delete user
                </button>
              </div>
              {isSelf ? (
                <p className="hint">You cannot disable or delete the account you are using.</p>
              ) : null}
              <ResetPassword
                username={username}
                isSelf={isSelf}
                onDone={(message) => {
                  report(message)
                  void tokens.reload()
                }}
              />
            </section>
          </div>
          <section className="card" aria-labelledby="user-tokens-heading">
            <div className="section-head">
              <div>
                <h2 id="user-tokens-heading">API tokens</h2>
                <p className="section-text">
                  {tokens.data ? `${activeTokens} active of ${tokenList.length}.` : null}
                </p>
              </div>
              <button
                type="button"
                className="button button-danger-outline"
                onClick={askRevokeAll}
                disabled={activeTokens === 0}
              >
                Revoke all tokens
              </button>
            </div>
            <ErrorMessage>{tokens.error}</ErrorMessage>
            {tokens.loading && !tokens.data ? (
              <Loading />
            ) : tokenList.length === 0 && !tokens.error ? (
              <EmptyState title="No tokens yet" />
            ) : (
              <TokenTable
                tokens={tokenList}
                caption={`API tokens of ${username}`}
                onRevoke={askRevoke}
              />
            )}
          </section>
          <ConfirmDialog request={confirm} onDone={() => setConfirm(null)} />
        </>
      }
    />
  )
}

function PageShell(props: { username: string; badge?: ReactNode; body: ReactNode }) {
  return (
    <main className="page" id="main">
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <Link to={paths.users}>Users</Link> <span aria-hidden="true">/</span>{' '}
        <span aria-current="page">{props.username}</span>
      </nav>
      <div className="page-head">
        <div className="title-row">
          <h1 className="break">{props.username}</h1>
          {props.badge}
        </div>
      </div>
      {props.body}
    </main>
  )
}

function ResetPassword(props: {
  username: string
  isSelf: boolean
  onDone(message: string): void
}) {
  const { api } = useSignedIn()
  const [password, setPassword] = useState('')
  const [revokeTokens, setRevokeTokens] = useState(true)
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  const id = useId()
  const errId = useId()

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    if (password.length < 8) {
      setError('Use at least 8 characters.')
      return
    }
    setBusy(true)
    setError(null)
    try {
      const change = await api.setPassword(props.username, password, revokeTokens)
      setPassword('')
      setRevokeTokens(true)
      props.onDone(
        `The password of “${props.username}” was reset. ${revokedSummary(change, revokeTokens, 'their')}`,
      )
    } catch (e) {
      setError(messageOf(e))
    } finally {
      setBusy(false)
    }
  }

  return (
    <form className="form reset-password" onSubmit={submit} noValidate>
      <h3 className="minor">Reset password</h3>
      <div className="field">
        <label htmlFor={id}>New password</label>
        <input
          id={id}
          type="password"
          autoComplete="new-password"
          value={password}
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? errId : undefined}
          onChange={(e) => setPassword(e.target.value)}
        />
        {error ? (
          <p className="field-error" id={errId}>
            {error}
          </p>
        ) : null}
      </div>
      <RevokeEverywhere
        checked={revokeTokens}
        onChange={setRevokeTokens}
        hint={
          props.isSelf
            ? 'Your other sessions end; this one stays signed in. Scripts using your tokens stop working.'
            : 'Every script and pipeline using one of their tokens stops working, and they must log in again.'
        }
      />
      <div className="button-row">
        <button type="submit" className="button" disabled={busy}>
          Reset password
        </button>
      </div>
    </form>
  )
}
