import { Link, RoleBadges } from '../components/ui.tsx'
import { useSignedIn } from '../context.ts'
import { useLoad } from '../hooks.ts'
import { paths } from '../router.ts'

export function Overview() {
  const { api, session, isAdmin } = useSignedIn()
  const me = useLoad(() => api.me(), [api])
  const tokens = useLoad(() => api.myTokens(), [api])
  const active = tokens.data?.filter((t) => t.status === 'active').length
  const origin = window.location.origin

  return (
    <main className="page" id="main">
      <div className="page-head">
        <h1>Welcome, {session.username}</h1>
      </div>
      <div className="grid">
        <section className="card" aria-labelledby="ov-tokens">
          <h2 id="ov-tokens">API access tokens</h2>
          <p className="big-number">{active ?? '…'}</p>
          <p className="section-text">active personal tokens</p>
          <Link to={paths.profile} className="button">
            Manage in My Profile
          </Link>
        </section>
        <section className="card" aria-labelledby="ov-roles">
          <h2 id="ov-roles">Your roles</h2>
          <RoleBadges roles={me.data?.roles ?? session.roles} />
          <h3 className="minor">Projects</h3>
          {me.data ? (
            me.data.projects.length ? (
              <ul className="plain-list">
                {me.data.projects.map((p) => (
                  <li key={p}>{p}</li>
                ))}
              </ul>
            ) : (
              <p className="muted">Not a member of any project yet.</p>
            )
          ) : (
            <p className="muted">…</p>
          )}
        </section>
        {isAdmin ? (
          <section className="card" aria-labelledby="ov-admin">
            <h2 id="ov-admin">Administration</h2>
            <p className="section-text">
              Create users, set their roles, reset passwords, and revoke anyone's tokens.
            </p>
            <div className="button-row">
              <Link to={paths.users} className="button">
                Users
              </Link>
              <Link to={paths.projects} className="button">
                Projects
              </Link>
            </div>
          </section>
        ) : null}
      </div>
      <section className="card" aria-labelledby="ov-start">
        <h2 id="ov-start">Call the API</h2>
        <p className="section-text">
          Create a token in My Profile, then send it as a Bearer token:
        </p>
        <pre className="code">
          <code>{`curl ${origin}/apiops/test/hello/${session.username} \\\n  -H "Authorization: Bearer $APIOPS_TOKEN"`}</code>
        </pre>
      </section>
    </main>
  )
}
