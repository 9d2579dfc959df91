import { type ReactNode, useCallback, useEffect, useMemo, useState } from 'react'
import { ApiError, createApi, type Session, sessionApi } from './api.ts'
import { Header } from './components/Header.tsx'
import { Link } from './components/ui.tsx'
import { type SignedIn, SignedInContext } from './context.ts'
import { Audit } from './pages/Audit.tsx'
import { Login } from './pages/Login.tsx'
import { Overview } from './pages/Overview.tsx'
import { Profile } from './pages/Profile.tsx'
import { ProjectDetail } from './pages/ProjectDetail.tsx'
import { Projects } from './pages/Projects.tsx'
import { Proxies } from './pages/Proxies.tsx'
import { ProxyDetail } from './pages/ProxyDetail.tsx'
import { Settings } from './pages/Settings.tsx'
import { UserDetail } from './pages/UserDetail.tsx'
import { Users } from './pages/Users.tsx'
import { navigate, parseRoute, paths, type Route, usePath } from './router.ts'

type State =
  | { status: 'loading' }
  | { status: 'out'; notice: string | null }
  | { status: 'in'; session: Session }

const TITLES: Record<Route['page'], string> = {
  overview: 'Overview',
  profile: 'My Profile',
  users: 'Users',
  user: 'User',
  projects: 'Projects',
  project: 'Project',
  audit: 'Audit',
  settings: 'Settings',
  proxies: 'Proxies',
  proxy: 'API proxy',
  'not-found': 'Page not found',
}

export function App() {
  const [state, setState] = useState<State>({ status: 'loading' })
  const route = parseRoute(usePath())

  // After a reload the CSRF token comes back from the server, never from storage.
  useEffect(() => {
    sessionApi
      .current()
      .then((session) => setState({ status: 'in', session }))
      .catch((e) =>
        setState({
          status: 'out',
          notice: e instanceof ApiError && e.status === 0 ? e.message : null,
        }),
      )
  }, [])

  const endSession = useCallback(
    () => setState({ status: 'out', notice: 'Your session has ended. Log in again.' }),
    [],
  )

  const signedIn = useMemo<SignedIn | null>(() => {
    if (state.status !== 'in') return null
    const api = createApi(state.session.csrfToken, endSession)
    return {
      session: state.session,
      api,
      isAdmin: state.session.roles.includes('ROLE_ADMIN'),
      async logout() {
        try {
          await api.logout()
        } catch {
          // Already over on the server: the outcome is the same.
        }
        setState({ status: 'out', notice: 'You have logged out.' })
        navigate(paths.overview)
      },
    }
  }, [state, endSession])

  const title = state.status === 'in' ? TITLES[route.page] : 'Log in'
  useEffect(() => {
    document.title = `${title} · apiops`
  }, [title])

  if (state.status === 'loading') return <p className="boot">Loading…</p>
  if (state.status === 'out' || !signedIn) {
    return (
      <Login
        notice={state.status === 'out' ? state.notice : null}
        onLogin={(session) => setState({ status: 'in', session })}
      />
    )
  }

  return (
    <SignedInContext.Provider value={signedIn}>
      <a href="#main" className="skip-link">
        Skip to content
      </a>
      <Header />
      <Page route={route} isAdmin={signedIn.isAdmin} />
    </SignedInContext.Provider>
  )
}

function Page(props: { route: Route; isAdmin: boolean }) {
  const { route } = props
  const adminPage = ['users', 'user', 'projects', 'project', 'audit', 'settings'].includes(
    route.page,
  )
  if (adminPage && !props.isAdmin) {
    return (
      <Message title="Administrators only">
        This page needs the role ROLE_ADMIN. <Link to={paths.profile}>Go to My Profile</Link>.
      </Message>
    )
  }
  switch (route.page) {
    case 'overview':
      return <Overview />
    case 'profile':
      return <Profile tab={route.tab} />
    case 'users':
      return <Users />
    case 'user':
      return <UserDetail key={route.username} username={route.username} />
    case 'projects':
      return <Projects />
    case 'project':
      return <ProjectDetail key={route.name} name={route.name} />
    case 'audit':
      return <Audit />
    case 'settings':
      return <Settings />
    case 'proxies':
      return <Proxies key={route.project ?? ''} project={route.project} />
    case 'proxy':
      return (
        <ProxyDetail
          key={`${route.project}/${route.name}`}
          project={route.project}
          name={route.name}
        />
      )
    default:
      return (
        <Message title="Page not found">
          There is nothing here. <Link to={paths.overview}>Go to the overview</Link>.
        </Message>
      )
  }
}

function Message(props: { title: string; children: ReactNode }) {
  return (
    <main className="page" id="main">
      <h1>{props.title}</h1>
      <p>{props.children}</p>
    </main>
  )
}
