import { type KeyboardEvent, useRef, useState } from 'react'
import type { Me, TokenView } from '../api.ts'
import { AuditTable, Pager } from '../components/AuditTable.tsx'
import { ConfirmDialog, type ConfirmRequest } from '../components/Dialog.tsx'
import { EmailField } from '../components/EmailField.tsx'
import { TokenSections } from '../components/TokenTable.tsx'
import {
  DateTime,
  EmptyState,
  ErrorMessage,
  Loading,
  Notice,
  RoleBadges,
} from '../components/ui.tsx'
import { useSignedIn } from '../context.ts'
import { type Loaded, useLoad } from '../hooks.ts'
import { paths, replacePath } from '../router.ts'
import { CanaryTokens } from './CanaryTokens.tsx'
import { ChangePassword } from './ChangePassword.tsx'
import { CreateTokenDialog } from './CreateTokenDialog.tsx'
import { RotateTokenDialog } from './RotateTokenDialog.tsx'

type Tab = 'tokens' | 'activity'
const TABS: { id: Tab; label: string; path: string }[] = [
  { id: 'tokens', label: 'API Tokens', path: paths.profile },
  { id: 'activity', label: 'Activity', path: paths.activity },
]

export function Profile(props: { tab: Tab }) {
  const { api } = useSignedIn()
  const me = useLoad(() => api.me(), [api])
  const mine = useMyTokens()
  const { tokens } = mine

  return (
    <main className="page" id="main">
      <div className="page-head">
        <h1>My Profile</h1>
      </div>

      <AccountSection me={me} onPasswordChanged={() => void tokens.reload()} />

      <ProfileTabs tab={props.tab} />

      <div
        role="tabpanel"
        id="panel-tokens"
        aria-labelledby="tab-tokens"
        hidden={props.tab !== 'tokens'}
      >
        <MyTokensSection mine={mine} />
        <CanaryTokens />
      </div>

      <div
        role="tabpanel"
        id="panel-activity"
        aria-labelledby="tab-activity"
        hidden={props.tab !== 'activity'}
      >
        {props.tab === 'activity' ? <Activity /> : null}
      </div>

      {mine.creating ? (
        <CreateTokenDialog
          onClose={() => mine.setCreating(false)}
          onCreated={() => void tokens.reload()}
        />
      ) : null}
      {mine.rotating ? (
        <RotateTokenDialog
          token={mine.rotating}
          onClose={() => mine.setRotating(null)}
          onRotated={mine.rotated}
        />
      ) : null}
      <ConfirmDialog request={mine.confirm} onDone={() => mine.setConfirm(null)} />
    </main>
  )
}

type MyTokens = ReturnType<typeof useMyTokens>

/** My tokens, and the state of creating one or revoking one. */
function useMyTokens() {
  const { api } = useSignedIn()
  const [shortLived, setShortLived] = useState(false)
  const tokens = useLoad(() => api.myTokens(shortLived), [api, shortLived])
  // Only for the inactivity limit's sentence: without it (an older server) there is none.
  const policy = useLoad(() => api.tokenPolicy(), [api]).data
  const [creating, setCreating] = useState(false)
  const [rotating, setRotating] = useState<TokenView | null>(null)
  const [confirm, setConfirm] = useState<ConfirmRequest | null>(null)
  const [notice, setNotice] = useState<string | null>(null)

  function askRevoke(token: TokenView) {
    setNotice(null)
    setConfirm({
      title: 'Revoke token?',
      message: (
        <p>
          Revoke <strong className="break">{token.name}</strong>? Anything that uses it is refused
          from the next request on. This cannot be undone.
        </p>
      ),
      confirmLabel: 'Revoke token',
      action: async () => {
        await api.revokeMyToken(token.id)
        await tokens.reload()
        setNotice(`Token “${token.name}” was revoked.`)
      },
    })
  }

  function startCreating() {
    setNotice(null)
    setCreating(true)
  }

  function startRotating(token: TokenView) {
    setNotice(null)
    setRotating(token)
  }

  function rotated(fate: string) {
    void tokens.reload()
    setNotice(fate)
  }

  return {
    tokens,
    shortLived,
    setShortLived,
    policy,
    creating,
    setCreating,
    startCreating,
    rotating,
    setRotating,
    startRotating,
    rotated,
    confirm,
    setConfirm,
    notice,
    askRevoke,
  }
}

function AccountSection(props: { me: Loaded<Me>; onPasswordChanged(): void }) {
  const { session, api } = useSignedIn()
  const { me } = props
  return (
    <section className="card" aria-labelledby="account-heading">
      <h2 id="account-heading">Account</h2>
      <dl className="details">
        <div>
          <dt>Username</dt>
          <dd>{session.username}</dd>
        </div>
        <div>
          <dt>Roles</dt>
          <dd>
            <RoleBadges roles={me.data?.roles ?? session.roles} />
          </dd>
        </div>
        <div>
          <dt>Projects</dt>
          <dd>
            {me.data ? (
              me.data.projects.length ? (
                me.data.projects.join(', ')
              ) : (
                <span className="muted">Not a member of any project yet</span>
              )
            ) : (
              '…'
            )}
          </dd>
        </div>
        <div>
          <dt>Session ends</dt>
          <dd>
            <DateTime iso={session.expiresAt} />
          </dd>
        </div>
      </dl>
      <ErrorMessage>{me.error}</ErrorMessage>
      {me.data ? (
        <EmailField
          owner="self"
          email={me.data.email}
          save={async (email) => (await api.setMyEmail(email)).email}
        />
      ) : null}
      <ChangePassword onChanged={props.onPasswordChanged} />
    </section>
  )
}

function MyTokensSection(props: { mine: MyTokens }) {
  const { tokens, notice, startCreating, askRevoke, policy } = props.mine
  const list = tokens.data ?? []
  const active = list.filter((t) => t.status === 'active').length
  const inactivityDays = policy?.inactivityDays ?? 0
  return (
    <section className="card" aria-labelledby="tokens-heading" id="tokens">
      <div className="section-head">
        <div>
          <h2 id="tokens-heading">Personal API Access Tokens</h2>
          <p className="section-text">
            Tokens let scripts and CI pipelines call the Management API as you, with your roles at
            the moment of each request. {tokens.data ? `${active} active.` : null}
          </p>
          {inactivityDays > 0 ? (
            <p className="section-text">
              A token unused for {inactivityDays} {inactivityDays === 1 ? 'day' : 'days'} is
              revoked.
            </p>
          ) : null}
        </div>
        <button type="button" className="button button-primary" onClick={startCreating}>
          Create API Token
        </button>
      </div>
      <Notice>{notice}</Notice>
      <ErrorMessage>{tokens.error}</ErrorMessage>
      {tokens.loading && !tokens.data ? (
        <Loading />
      ) : tokens.error ? null : (
        <TokenSections
          empty={
            <EmptyState title="No tokens yet">
              Create one for each pipeline or script, so you can revoke one without breaking the
              others.
            </EmptyState>
          }
          tokens={list}
          caption="My personal API access tokens"
          onRevoke={askRevoke}
          onRotate={props.mine.startRotating}
          shortLived={props.mine.shortLived}
          onShortLived={props.mine.setShortLived}
        />
      )}
    </section>
  )
}

/** The two halves of My Profile as tabs (arrow keys move between them; each has its own address). */
function ProfileTabs(props: { tab: Tab }) {
  const refs = useRef<Record<Tab, HTMLButtonElement | null>>({ tokens: null, activity: null })

  function select(tab: Tab, focus: boolean) {
    replacePath(TABS.find((t) => t.id === tab)?.path ?? paths.profile)
    if (focus) refs.current[tab]?.focus()
  }

  function onKey(event: KeyboardEvent) {
    const at = TABS.findIndex((t) => t.id === props.tab)
    const to =
      event.key === 'ArrowRight'
        ? (at + 1) % TABS.length
        : event.key === 'ArrowLeft'
          ? (at - 1 + TABS.length) % TABS.length
          : event.key === 'Home'
            ? 0
            : event.key === 'End'
              ? TABS.length - 1
              : -1
    if (to === -1) return
    event.preventDefault()
    select((TABS[to] as (typeof TABS)[number]).id, true)
  }

  return (
    <div className="tabs" role="tablist" aria-label="My Profile" onKeyDown={onKey}>
      {TABS.map((t) => (
        <button
          key={t.id}
          ref={(el) => {
            refs.current[t.id] = el
          }}
          type="button"
          role="tab"
          id={`tab-${t.id}`}
          className="tab"
          aria-selected={props.tab === t.id}
          aria-controls={`panel-${t.id}`}
          tabIndex={props.tab === t.id ? 0 : -1}
          onClick={() => select(t.id, false)}
        >
          {t.label}
        </button>
      ))}
    </div>
  )
}

const ACTIVITY_PAGE = 20

/** What I did, from where, and every login tried with my username: newest first. */
function Activity() {
  const { api } = useSignedIn()
  const [page, setPage] = useState(0)
  const events = useLoad(() => api.myActivity({ page, size: ACTIVITY_PAGE }), [api, page])
  const list = events.data?.resultList ?? []

  return (
    <section className="card" aria-labelledby="activity-heading">
      <div className="section-head">
        <div>
          <h2 id="activity-heading">Recent activity</h2>
          <p className="section-text">
            What you changed, token use from new addresses, and every login tried with your
            username, successful or not. Something you do not recognise? Revoke the token and tell
            an administrator.
          </p>
        </div>
        <button type="button" className="button" onClick={() => void events.reload()}>
          Refresh
        </button>
      </div>
      <ErrorMessage>{events.error}</ErrorMessage>
      {events.loading && !events.data ? (
        <Loading />
      ) : list.length === 0 && !events.error && page === 0 ? (
        <EmptyState title="No activity yet">
          Logins, token changes and everything else you change appear here.
        </EmptyState>
      ) : (
        <>
          <AuditTable events={list} caption="My recent activity" showActor={false} />
          <Pager
            label="Pages of my activity"
            page={page}
            size={ACTIVITY_PAGE}
            shown={list.length}
            total={events.data?.totalCount ?? 0}
            exact={events.data?.totalCountExact ?? true}
            onPage={setPage}
          />
        </>
      )}
    </section>
  )
}
