import { type FormEvent, useRef, useState } from 'react'
import { ApiError, type Session, sessionApi } from '../api.ts'
import { ErrorMessage, LogoMark } from '../components/ui.tsx'

/** One message for every credential failure: it must not tell which part was wrong. */
const BAD_CREDENTIALS = 'Incorrect username or password.'

export function Login(props: { onLogin(session: Session): void; notice: string | null }) {
  const [username, setUsername] = useState('')
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  const passwordRef = useRef<HTMLInputElement>(null)

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    const password = passwordRef.current?.value ?? ''
    if (!username.trim() || !password) {
      setError('Enter your username and password.')
      return
    }
    setBusy(true)
    setError(null)
    try {
      const session = await sessionApi.login(username.trim(), password)
      props.onLogin(session)
    } catch (e) {
      // The password is never kept or shown: clear the field and ask again.
      if (passwordRef.current) passwordRef.current.value = ''
      if (e instanceof ApiError && (e.status === 401 || e.status === 400)) setError(BAD_CREDENTIALS)
      else setError(e instanceof ApiError ? e.message : 'Something went wrong. Try again.')
      setBusy(false)
      passwordRef.current?.focus()
    }
  }

  return (
    <main className="login-page">
      <div className="login-card">
        <div className="login-brand">
          <LogoMark />
          <span className="brand-name">apiops</span>
        </div>
        <h1 className="login-title">Log in to the Management Console</h1>
        {props.notice ? <p className="alert alert-info">{props.notice}</p> : null}
        <form onSubmit={submit} noValidate className="form">
          <div className="field">
            <label htmlFor="login-username">Username</label>
            <input
              id="login-username"
              name="username"
              autoComplete="username"
              autoCapitalize="none"
              spellCheck={false}
              value={username}
              onChange={(e) => setUsername(e.target.value)}
              required
              // biome-ignore lint/a11y/noAutofocus: the login form is the whole page
              autoFocus
            />
          </div>
          <div className="field">
            <label htmlFor="login-password">Password</label>
            <input
              id="login-password"
              name="password"
              type="password"
              autoComplete="current-password"
              ref={passwordRef}
              required
            />
          </div>
          <ErrorMessage>{error}</ErrorMessage>
          <button type="submit" className="button button-primary button-block" disabled={busy}>
            {busy ? 'Logging in…' : 'Log in'}
          </button>
        </form>
      </div>
      <p className="login-foot">apiops Management Console</p>
    </main>
  )
}
