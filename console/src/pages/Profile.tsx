import { useState } from 'react'
import type { TokenView } from '../api.ts'
import { ConfirmDialog, type ConfirmRequest } from '../components/Dialog.tsx'
import { TokenTable } from '../components/TokenTable.tsx'
import {
  DateTime,
  EmptyState,
  ErrorMessage,
  Loading,
  Notice,
  RoleBadges,
} from '../components/ui.tsx'
import { useSignedIn } from '../context.ts'
import { useLoad } from '../hooks.ts'
import { CreateTokenDialog } from './CreateTokenDialog.tsx'

export function Profile() {
  const { api, session } = useSignedIn()
  const me = useLoad(() => api.me(), [api])
  const tokens = useLoad(() => api.myTokens(), [api])
  const [creating, setCreating] = useState(false)
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

  const list = tokens.data ?? []
  const active = list.filter((t) => t.status === 'active').length

  return (
    <main className="page" id="main">
      <div className="page-head">
        <h1>My Profile</h1>
      </div>

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
      </section>

      <section className="card" aria-labelledby="tokens-heading" id="tokens">
        <div className="section-head">
          <div>
            <h2 id="tokens-heading">Personal API Access Tokens</h2>
            <p className="section-text">
              Tokens let scripts and CI pipelines call the Management API as you, with your roles at
              the moment of each request. {tokens.data ? `${active} active.` : null}
            </p>
          </div>
          <button
            type="button"
            className="button button-primary"
            onClick={() => {
              setNotice(null)
              setCreating(true)
            }}
          >
            Create API Token
          </button>
        </div>
        <Notice>{notice}</Notice>
        <ErrorMessage>{tokens.error}</ErrorMessage>
        {tokens.loading && !tokens.data ? (
          <Loading />
        ) : list.length === 0 && !tokens.error ? (
          <EmptyState title="No tokens yet">
            Create one for each pipeline or script, so you can revoke one without breaking the
            others.
          </EmptyState>
        ) : (
          <TokenTable tokens={list} caption="My personal API access tokens" onRevoke={askRevoke} />
        )}
      </section>

      {creating ? (
        <CreateTokenDialog
          onClose={() => setCreating(false)}
          onCreated={() => void tokens.reload()}
        />
      ) : null}
      <ConfirmDialog request={confirm} onDone={() => setConfirm(null)} />
    </main>
  )
}
