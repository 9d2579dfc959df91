import { type FormEvent, useId, useState } from 'react'
import { messageOf } from '../api.ts'
import { PasswordField } from '../components/PasswordField.tsx'
import { RevokeEverywhere, revokedSummary } from '../components/RevokeEverywhere.tsx'
import { useSignedIn } from '../context.ts'

/** User detail > Reset password: an administrator sets someone's password, no old one asked. */
export function ResetPassword(props: {
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
      <PasswordField
        id={id}
        label="New password"
        autoComplete="new-password"
        value={password}
        onChange={setPassword}
        error={error}
        errorId={errId}
      />
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
