import { type ReactNode, useEffect, useState } from 'react'
import { type Api, messageOf, type Role, type TokenView, type UserView } from '../api.ts'
import { ConfirmDialog, type ConfirmRequest } from '../components/Dialog.tsx'
import { EmailField } from '../components/EmailField.tsx'
import { TokenSections } from '../components/TokenTable.tsx'
import { DateTime, EmptyState, ErrorMessage, Link, Loading, Notice } from '../components/ui.tsx'
import { useSignedIn } from '../context.ts'
import { type Loaded, useLoad } from '../hooks.ts'
import { navigate, paths } from '../router.ts'
import { ResetPassword } from './ResetPassword.tsx'
import { RoleCheckboxes } from './Users.tsx'

export function UserDetail(props: { username: string }) {
  const { api } = useSignedIn()
  const { username } = props
  const user = useLoad(() => api.user(username), [api, username])
  const [shortLived, setShortLived] = useState(false)
  const tokens = useLoad(() => api.userTokens(username, shortLived), [api, username, shortLived])

  if (user.loading && !user.data) return <PageShell username={username} body={<Loading />} />
  if (!user.data) {
    return <PageShell username={username} body={<ErrorMessage>{user.error}</ErrorMessage>} />
  }
  const u = user.data
  return (
    <PageShell
      username={username}
      badge={
        <span className={`badge ${u.enabled ? 'badge-active' : 'badge-revoked'}`}>
          {u.enabled ? 'Enabled' : 'Disabled'}
        </span>
      }
      body={
        <UserBody
          username={username}
          u={u}
          user={user}
          tokens={tokens}
          shortLived={{ on: shortLived, set: setShortLived }}
        />
      }
    />
  )
}

/** What the actions on one user need: the API, whom, what to reload, where to report. */
interface Subject {
  api: Api
  username: string
  user: Loaded<UserView>
  tokens: Loaded<TokenView[]>
  /** Whether the token list shows the token endpoint's short-lived tokens. */
  shortLived: ShortLived
  report(message: string): void
}

interface ShortLived {
  on: boolean
  set(show: boolean): void
}

/** One page-wide outcome at a time: a notice or an error, a confirmation, a busy flag. */
function useOutcome() {
  const [notice, setNotice] = useState<string | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [confirm, setConfirm] = useState<ConfirmRequest | null>(null)
  const [busy, setBusy] = useState(false)

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

  return { notice, error, confirm, setConfirm, busy, report, run }
}

type Outcome = ReturnType<typeof useOutcome>

function UserBody(props: {
  username: string
  u: UserView
  user: Loaded<UserView>
  tokens: Loaded<TokenView[]>
  shortLived: ShortLived
}) {
  const { api } = useSignedIn()
  const outcome = useOutcome()
  const subject: Subject = {
    api,
    username: props.username,
    user: props.user,
    tokens: props.tokens,
    shortLived: props.shortLived,
    report: outcome.report,
  }
  return (
    <>
      <Notice>{outcome.notice}</Notice>
      <ErrorMessage>{outcome.error}</ErrorMessage>
      <div className="grid grid-2">
        <RolesCard u={props.u} subject={subject} outcome={outcome} />
        <AccountCard u={props.u} subject={subject} outcome={outcome} />
      </div>
      <UserTokensCard subject={subject} outcome={outcome} />
      <ConfirmDialog request={outcome.confirm} onDone={() => outcome.setConfirm(null)} />
    </>
  )
}

function RolesCard(props: { u: UserView; subject: Subject; outcome: Outcome }) {
  const { u, outcome } = props
  const { api, username, user } = props.subject
  const [roles, setRoles] = useState<Role[]>([])
  const rolesChanged = roles.join() !== u.roles.join()

  useEffect(() => {
    if (user.data) setRoles(user.data.roles)
  }, [user.data])

  async function saveRoles() {
    await outcome.run(async () => {
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

  return (
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
          disabled={!rolesChanged || outcome.busy}
          onClick={saveRoles}
        >
          Save roles
        </button>
      </div>
    </section>
  )
}

function AccountCard(props: { u: UserView; subject: Subject; outcome: Outcome }) {
  const { session } = useSignedIn()
  const { u, subject, outcome } = props
  const { username } = subject
  const isSelf = u.username === session.username

  function askToggle() {
    if (u.enabled) outcome.setConfirm(disableRequest(subject))
    else void outcome.run(() => enable(subject))
  }

  return (
    <section className="card" aria-labelledby="account-heading">
      <h2 id="account-heading">Account</h2>
      <AccountDetails u={u} username={username} />
      <div className="button-row">
        <button
          type="button"
          className={u.enabled ? 'button button-danger-outline' : 'button'}
          onClick={askToggle}
          disabled={outcome.busy || isSelf}
        >
          {u.enabled ? 'Disable user' : 'Enable user'}
        </button>
        <button
          type="button"
          className="button button-danger-outline"
          onClick={() => outcome.setConfirm(deleteRequest(subject))}
          disabled={outcome.busy || isSelf}
        >
          Delete user
        </button>
      </div>
      {isSelf ? (
        <p className="hint">You cannot disable or delete the account you are using.</p>
      ) : null}
      <EmailField
        owner={isSelf ? 'self' : 'other'}
        email={u.email}
        save={(email) => saveEmail(subject, email)}
      />
      <ResetPassword
        username={username}
        isSelf={isSelf}
        onDone={(message) => {
          subject.report(message)
          void subject.tokens.reload()
        }}
      />
    </section>
  )
}

function AccountDetails(props: { u: UserView; username: string }) {
  const { u, username } = props
  return (
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
  )
}

function UserTokensCard(props: { subject: Subject; outcome: Outcome }) {
  const { subject, outcome } = props
  const { tokens, username } = subject
  const tokenList = tokens.data ?? []
  const activeTokens = tokenList.filter((t) => t.status === 'active').length
  return (
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
          onClick={() => outcome.setConfirm(revokeAllRequest(subject))}
          disabled={activeTokens === 0}
        >
          Revoke all tokens
        </button>
      </div>
      <ErrorMessage>{tokens.error}</ErrorMessage>
      {tokens.loading && !tokens.data ? (
        <Loading />
      ) : tokens.error ? null : (
        <TokenSections
          empty={<EmptyState title="No tokens yet" />}
          shortLived={subject.shortLived.on}
          onShortLived={subject.shortLived.set}
          tokens={tokenList}
          caption={`API tokens of ${username}`}
          onRevoke={(token) => outcome.setConfirm(revokeRequest(subject, token))}
        />
      )}
    </section>
  )
}

async function saveEmail({ api, username, user }: Subject, email: string | null) {
  const saved = await api.setUserEmail(username, email)
  await user.reload()
  return saved.email
}

async function enable({ api, username, user }: Subject): Promise<string> {
  await api.setEnabled(username, true)
  await user.reload()
  return `User “${username}” was enabled.`
}

function disableRequest({ api, username, user, report }: Subject): ConfirmRequest {
  return {
    title: 'Disable user?',
    message: (
      <p>
        Disable <strong>{username}</strong>? They cannot log in, and all their tokens are refused
        from the next request on, until you enable them again.
      </p>
    ),
    confirmLabel: 'Disable user',
    action: async () => {
      await api.setEnabled(username, false)
      await user.reload()
      report(`User “${username}” was disabled.`)
    },
  }
}

function deleteRequest({ api, username }: Subject): ConfirmRequest {
  return {
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
  }
}

function revokeRequest(
  { api, username, tokens, report }: Subject,
  token: TokenView,
): ConfirmRequest {
  return {
    title: 'Revoke token?',
    message: (
      <p>
        Revoke <strong className="break">{token.name}</strong> of {username}? It is refused from the
        next request on.
      </p>
    ),
    confirmLabel: 'Revoke token',
    action: async () => {
      await api.revokeUserToken(username, token.id)
      await tokens.reload()
      report(`Token “${token.name}” was revoked.`)
    },
  }
}

function revokeAllRequest({ api, username, tokens, report }: Subject): ConfirmRequest {
  return {
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
  }
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
