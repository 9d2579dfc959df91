import { type FormEvent, useEffect, useId, useRef, useState } from 'react'
import { ApiError } from '../api.ts'
import { PasswordField } from '../components/PasswordField.tsx'
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
  const form = useChangePasswordForm(props.onChanged)
  const toggle = useRef<HTMLButtonElement>(null)
  const formId = useId()
  const currentId = useId()

  // Focus follows the form: into its first field on opening, back to the button on closing.
  const opened = useRef(false)
  useEffect(() => {
    if (form.open) document.getElementById(currentId)?.focus()
    else if (opened.current) toggle.current?.focus()
    opened.current = form.open
  }, [form.open, currentId])

  return (
    <div className="reset-password">
      <Notice>{form.notice}</Notice>
      {form.open ? null : (
        <div className="button-row">
          <button ref={toggle} type="button" className="button" onClick={form.openForm}>
            Change password
          </button>
        </div>
      )}
      {form.open ? <ChangePasswordForm form={form} formId={formId} currentId={currentId} /> : null}
    </div>
  )
}

type ChangePasswordState = ReturnType<typeof useChangePasswordForm>

/** The form's fields, its problems and what opening, closing and submitting it do. */
function useChangePasswordForm(onChanged: () => void) {
  const { api } = useSignedIn()
  const [open, setOpen] = useState(false)
  const [current, setCurrent] = useState('')
  const [next, setNext] = useState('')
  const [confirm, setConfirm] = useState('')
  const [revokeTokens, setRevokeTokens] = useState(true)
  const [problems, setProblems] = useState<Problems>({})
  const [notice, setNotice] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)

  function openForm() {
    setNotice(null)
    setOpen(true)
  }

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
      onChanged()
    } catch (e) {
      setProblems(problemsOf(e))
    } finally {
      setBusy(false)
    }
  }

  return {
    open,
    openForm,
    close,
    submit,
    problems,
    notice,
    busy,
    current,
    setCurrent,
    next,
    setNext,
    confirm,
    setConfirm,
    revokeTokens,
    setRevokeTokens,
  }
}

/** A refusal's message, under the field it names, or for the whole form. */
function problemsOf(e: unknown): Problems {
  if (!(e instanceof ApiError)) return { form: 'Something went wrong. Try again.' }
  const fields = { current: e.forField('currentPassword'), next: e.forField('newPassword') }
  return { ...fields, form: fields.current || fields.next ? undefined : e.message }
}

function ChangePasswordForm(props: {
  form: ChangePasswordState
  formId: string
  currentId: string
}) {
  const { form, formId } = props
  const ids = { next: useId(), confirm: useId() }
  const errors = { current: useId(), next: useId(), confirm: useId() }
  const nextHint = useId()
  return (
    <form
      id={formId}
      className="form inline-form"
      onSubmit={form.submit}
      noValidate
      aria-labelledby={`${formId}-title`}
    >
      <h3 className="minor" id={`${formId}-title`}>
        Change password
      </h3>
      <PasswordField
        id={props.currentId}
        label="Current password"
        autoComplete="current-password"
        value={form.current}
        onChange={form.setCurrent}
        error={form.problems.current}
        errorId={errors.current}
      />
      <PasswordField
        id={ids.next}
        label="New password"
        autoComplete="new-password"
        value={form.next}
        onChange={form.setNext}
        error={form.problems.next}
        errorId={errors.next}
        hint={{ id: nextHint, text: 'At least 8 characters.' }}
      />
      <PasswordField
        id={ids.confirm}
        label="Confirm new password"
        autoComplete="new-password"
        value={form.confirm}
        onChange={form.setConfirm}
        error={form.problems.confirm}
        errorId={errors.confirm}
      />
      <RevokeEverywhere
        checked={form.revokeTokens}
        onChange={form.setRevokeTokens}
        hint="Your other sessions end and every script using one of your tokens stops working; this session stays signed in."
      />
      <ErrorMessage>{form.problems.form}</ErrorMessage>
      <div className="button-row">
        <button type="submit" className="button button-primary" disabled={form.busy}>
          {form.busy ? 'Changing…' : 'Change password'}
        </button>
        <button type="button" className="button" onClick={form.close}>
          Cancel
        </button>
      </div>
    </form>
  )
}
