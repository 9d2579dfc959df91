import { type FormEvent, useEffect, useId, useRef, useState } from 'react'
import { ApiError } from '../api.ts'
import { RevokeEverywhere, revokedSummary } from '../components/RevokeEverywhere.tsx'
import { ErrorMessage, Notice } from '../components/ui.tsx'
import { useSignedIn } from '../context.ts'

interface Problems {
  current?: string | undefined
  next?: string | undefined
  confirm?: string | undefined
  form?: string | undefined
}

/**
 * My Profile > Change password: the current password first (a wrong one counts as a failed
 * login), then the new one twice. This session stays signed in whatever is chosen.
 */
export function ChangePassword(props: { onChanged(): void }) {
  const { api } = useSignedIn()
  const [open, setOpen] = useState(false)
  const [current, setCurrent] = useState('')
  const [next, setNext] = useState('')
  const [confirm, setConfirm] = useState('')
  const [revokeTokens, setRevokeTokens] = useState(true)
  const [problems, setProblems] = useState<Problems>({})
  const [notice, setNotice] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  const toggle = useRef<HTMLButtonElement>(null)
  const ids = {
    form: useId(),
    current: useId(),
    next: useId(),
    confirm: useId(),
    currentError: useId(),
    nextError: useId(),
    nextHint: useId(),
    confirmError: useId(),
  }

  // Focus follows the form: into its first field on opening, back to the button on closing.
  const opened = useRef(false)
  useEffect(() => {
    if (open) document.getElementById(ids.current)?.focus()
    else if (opened.current) toggle.current?.focus()
    opened.current = open
  }, [open, ids.current])

  function close() {
    setOpen(false)
    setCurrent('')
    setNext('')
    setConfirm('')
    setRevokeTokens(true)
    setProblems({})
  }

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    const found: Problems = {}
    if (current === '') found.current = 'Enter your current password.'
    if (next.length < 8) found.next = 'Use at least 8 characters.'
    else if (confirm !== next) found.confirm = 'The two new passwords differ.'
    setProblems(found)
    if (found.current || found.next || found.confirm) return
    setBusy(true)
    try {
      const change = await api.changeMyPassword(current, next, revokeTokens)
      close()
      setNotice(`Your password was changed. ${revokedSummary(change, revokeTokens, 'your')}`)
      props.onChanged()
    } catch (e) {
      if (e instanceof ApiError) {
        const fields = {
          current: e.forField('currentPassword'),
          next: e.forField('newPassword'),
        }
        setProblems({ ...fields, form: fields.current || fields.next ? undefined : e.message })
      } else setProblems({ form: 'Something went wrong. Try again.' })
    } finally {
      setBusy(false)
    }
  }

  const field = (
    key: 'current' | 'next' | 'confirm',
    label: string,
    value: string,
    set: (v: string) => void,
    error: string | undefined,
    errorId: string,
    hintId?: string,
  ) => (
    <div className="field">
      <label htmlFor={ids[key]}>{label}</label>
      <input
        id={ids[key]}
        type="password"
        autoComplete={key === 'current' ? 'current-password' : 'new-password'}
        value={value}
        aria-invalid={error ? true : undefined}
        aria-describedby={[error ? errorId : '', hintId ?? ''].join(' ').trim() || undefined}
        onChange={(e) => set(e.target.value)}
      />
      {hintId ? (
        <p className="hint" id={hintId}>
          At least 8 characters.
        </p>
      ) : null}
      {error ? (
        <p className="field-error" id={errorId}>
          {error}
        </p>
      ) : null}
    </div>
  )

  return (
    <div className="reset-password">
      <Notice>{notice}</Notice>
      {open ? null : (
        <div className="button-row">
          <button
            ref={toggle}
            type="button"
            className="button"
            onClick={() => {
              setNotice(null)
              setOpen(true)
            }}
          >
            Change password
          </button>
        </div>
      )}
      {open ? (
        <form
          id={ids.form}
          className="form inline-form"
          onSubmit={submit}
          noValidate
          aria-labelledby={`${ids.form}-title`}
        >
          <h3 className="minor" id={`${ids.form}-title`}>
            Change password
          </h3>
          {field(
            'current',
            'Current password',
            current,
            setCurrent,
            problems.current,
            ids.currentError,
          )}
          {field('next', 'New password', next, setNext, problems.next, ids.nextError, ids.nextHint)}
          {field(
            'confirm',
            'Confirm new password',
            confirm,
            setConfirm,
            problems.confirm,
            ids.confirmError,
          )}
          <RevokeEverywhere
            checked={revokeTokens}
            onChange={setRevokeTokens}
            hint="Your other sessions end and every script using one of your tokens stops working; this session stays signed in."
          />
          <ErrorMessage>{problems.form}</ErrorMessage>
          <div className="button-row">
            <button type="submit" className="button button-primary" disabled={busy}>
              {busy ? 'Changing…' : 'Change password'}
            </button>
            <button type="button" className="button" onClick={close}>
              Cancel
            </button>
          </div>
        </form>
      ) : null}
    </div>
  )
}
