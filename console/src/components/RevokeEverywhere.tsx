import { useId } from 'react'
import type { PasswordChange } from '../api.ts'

/**
 * The choice every password change offers, preselected: a new password is usually set
 * because someone else may know the old one, and may hold a token or a session made with it.
 */
export function RevokeEverywhere(props: {
  checked: boolean
  onChange(checked: boolean): void
  hint: string
}) {
  const id = useId()
  const hintId = useId()
  return (
    <div className="field">
      <div className="choice choice-described">
        <input
          id={id}
          type="checkbox"
          checked={props.checked}
          aria-describedby={hintId}
          onChange={(e) => props.onChange(e.target.checked)}
        />
        <label htmlFor={id}>Also revoke all API tokens and sign out of all sessions</label>
      </div>
      <p className="hint" id={hintId}>
        {props.hint}
      </p>
    </div>
  )
}

const count = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`

/** What a password change took with it, in a sentence. */
export function revokedSummary(
  change: PasswordChange,
  revoked: boolean,
  whose: 'their' | 'your',
): string {
  const sessions = whose === 'your' ? 'other session' : 'session'
  if (!revoked)
    return `${whose === 'your' ? 'Your' : 'Their'} API tokens and ${sessions}s were kept.`
  return `Revoked ${count(change.revokedTokenCount, 'API token')} and signed out ${count(change.endedSessionCount, sessions)}.`
}
