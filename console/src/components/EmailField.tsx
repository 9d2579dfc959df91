import { type FormEvent, useEffect, useId, useState } from 'react'
import { messageOf } from '../api.ts'
import { FieldError, Notice } from './ui.tsx'

/** Whose address it is: the words change, the form does not. */
export type EmailOwner = 'self' | 'other'

const WORDS: Record<EmailOwner, { none: string; purpose: string }> = {
  self: {
    none: 'none: you will not be told by email before your tokens expire',
    purpose:
      'Reminders 7 days and 1 day before your tokens expire, warnings before an unused token is revoked, and canary alerts go to this address, if an administrator has set up email in Settings > Notifications.',
  },
  other: {
    none: 'none: they will not be told by email before their tokens expire',
    purpose:
      'Reminders 7 days and 1 day before their tokens expire, warnings before an unused token is revoked, and canary alerts go to this address, if email is set up in Settings > Notifications.',
  },
}

/**
 * The one address a user is told at: shown, changed (Save) or removed (Remove). `save`
 * sends it and answers the address the server now holds; the server's refusal shows under
 * the field in its own words.
 */
export function EmailField(props: {
  owner: EmailOwner
  email: string | null
  save(email: string | null): Promise<string | null>
}) {
  const words = WORDS[props.owner]
  const { current, draft, setDraft, error, notice, busy, send, submit } = useEmailEdit(props)
  const ids = { input: useId(), error: useId(), hint: useId(), heading: useId() }

  return (
    <form className="form email-field" onSubmit={submit} noValidate aria-labelledby={ids.heading}>
      <h3 className="minor" id={ids.heading}>
        Email for reminders
      </h3>
      <p className="section-text">
        Now: {current ? <strong className="break">{current}</strong> : <span>{words.none}</span>}
      </p>
      <div className="field">
        <label htmlFor={ids.input}>Email address</label>
        <input
          id={ids.input}
          type="email"
          value={draft}
          autoComplete="email"
          spellCheck={false}
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? `${ids.error} ${ids.hint}` : ids.hint}
          onChange={(e) => setDraft(e.target.value)}
        />
        <p className="hint" id={ids.hint}>
          {words.purpose}
        </p>
        <FieldError id={ids.error} message={error ?? undefined} />
      </div>
      <div className="button-row">
        <button type="submit" className="button" disabled={busy}>
          Save email
        </button>
        <button
          type="button"
          className="button button-danger-outline"
          disabled={busy || current === null}
          onClick={() => void send(null)}
        >
          Remove email
        </button>
      </div>
      <Notice>{notice}</Notice>
    </form>
  )
}

/** The address held, the one being typed, and what became of the last Save or Remove. */
function useEmailEdit(props: {
  email: string | null
  save(email: string | null): Promise<string | null>
}) {
  const [current, setCurrent] = useState(props.email)
  const [draft, setDraft] = useState(props.email ?? '')
  const [error, setError] = useState<string | null>(null)
  const [notice, setNotice] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)

  useEffect(() => {
    setCurrent(props.email)
    setDraft(props.email ?? '')
  }, [props.email])

  async function send(email: string | null) {
    setBusy(true)
    setError(null)
    setNotice(null)
    try {
      const saved = await props.save(email)
      setCurrent(saved)
      setDraft(saved ?? '')
      setNotice(saved ? `Email address saved: ${saved}.` : 'Email address removed.')
    } catch (e) {
      setError(messageOf(e))
    } finally {
      setBusy(false)
    }
  }

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    if (draft.trim() === '') {
      setNotice(null)
      setError('Enter an email address, or use Remove to have none.')
      return
    }
    void send(draft.trim())
  }

  return { current, draft, setDraft, error, notice, busy, send, submit }
}
