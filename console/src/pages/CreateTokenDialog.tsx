import { type FormEvent, useEffect, useId, useRef, useState } from 'react'
import { flushSync } from 'react-dom'
import { ApiError, type IssuedToken } from '../api.ts'
import { Modal } from '../components/Dialog.tsx'
import { ErrorMessage, FieldError } from '../components/ui.tsx'
import { useSignedIn } from '../context.ts'
import { endOfUtcDay, formatDateTime, tomorrow } from '../format.ts'
import {
  type LimitsDraft,
  limitsInput,
  NO_LIMITS,
  TokenLimitsFields,
} from './TokenLimitsFields.tsx'

type Expiration = 'never' | 'calendar'

/**
 * Create API Token: name and expiration, then the one-time reveal. The secret lives
 * only in this component's state: closing the dialog unmounts it, and it is gone.
 */
export function CreateTokenDialog(props: { onClose(): void; onCreated(): void }) {
  const [issued, setIssued] = useState<IssuedToken | null>(null)
  return issued ? (
    <TokenReveal issued={issued} onClose={props.onClose} />
  ) : (
    <CreateTokenForm
      onCancel={props.onClose}
      onCreated={(t) => {
        setIssued(t)
        props.onCreated()
      }}
    />
  )
}

interface FormErrors {
  name?: string
  date?: string
  form?: string
}

/** What is wrong with the typed name and expiration, before asking the server. */
function validate(name: string, expiration: Expiration, date: string, min: string): FormErrors {
  const found: FormErrors = {}
  const trimmed = name.trim()
  if (!trimmed) found.name = 'Enter a token name, such as the pipeline or script that will use it.'
  else if (trimmed.length > 100) found.name = 'Use at most 100 characters.'
  if (expiration === 'calendar') {
    if (!date) found.date = 'Choose an expiration date, or select Never Expires.'
    else if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) found.date = 'Enter the date as YYYY-MM-DD.'
    else if (date < min)
      found.date = 'The expiration date must be in the future: choose tomorrow or a later date.'
  }
  return found
}

type CreateTokenState = ReturnType<typeof useCreateTokenForm>

/** The form's fields and errors, and the submit that checks them, then asks the server. */
function useCreateTokenForm(onCreated: (token: IssuedToken) => void) {
  const { api } = useSignedIn()
  const [name, setName] = useState('')
  const [expiration, setExpiration] = useState<Expiration>('never')
  const [date, setDate] = useState('')
  const [limits, setLimits] = useState<LimitsDraft>(NO_LIMITS)
  const [errors, setErrors] = useState<FormErrors>({})
  const [busy, setBusy] = useState(false)
  const min = tomorrow()
  const nameRef = useRef<HTMLInputElement>(null)
  const dateRef = useRef<HTMLInputElement>(null)

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    const found = validate(name, expiration, date, min)
    setErrors(found)
    if (found.name) return nameRef.current?.focus()
    if (found.date) return dateRef.current?.focus()
    setBusy(true)
    try {
      const expiresAt = expiration === 'never' ? null : date
      const token = await api.createToken(name.trim(), expiresAt, limitsInput(limits))
      onCreated(token)
    } catch (e) {
      if (e instanceof ApiError) {
        setErrors({ name: e.forField('name'), date: e.forField('expiresAt'), form: e.message })
      } else {
        setErrors({ form: 'Something went wrong. Try again.' })
      }
      setBusy(false)
    }
  }

  return {
    name,
    setName,
    expiration,
    setExpiration,
    date,
    setDate,
    limits,
    setLimits,
    errors,
    busy,
    min,
    nameRef,
    dateRef,
    submit,
  }
}

function CreateTokenForm(props: { onCancel(): void; onCreated(token: IssuedToken): void }) {
  const form = useCreateTokenForm(props.onCreated)
  const { errors, busy } = form
  return (
    <Modal title="Create API Token" onClose={props.onCancel}>
      <form onSubmit={form.submit} noValidate className="form">
        <TokenNameField form={form} />
        <ExpirationFieldset form={form} />
        <TokenLimitsFields draft={form.limits} onChange={form.setLimits} />
        {errors.form && !errors.name && !errors.date ? (
          <ErrorMessage>{errors.form}</ErrorMessage>
        ) : null}
        <div className="modal-actions">
          <button type="button" className="button" onClick={props.onCancel}>
            Cancel
          </button>
          <button type="submit" className="button button-primary" disabled={busy}>
            {busy ? 'Creating…' : 'Create'}
          </button>
        </div>
      </form>
    </Modal>
  )
}

function TokenNameField(props: { form: CreateTokenState }) {
  const { form } = props
  const id = useId()
  const errorId = useId()
  return (
    <div className="field">
      <label htmlFor={id}>Token Name</label>
      <input
        id={id}
        ref={form.nameRef}
        value={form.name}
        maxLength={100}
        autoComplete="off"
        placeholder="e.g. ci-deploy-pipeline"
        aria-invalid={form.errors.name ? true : undefined}
        aria-describedby={form.errors.name ? errorId : undefined}
        onChange={(e) => form.setName(e.target.value)}
        data-autofocus
      />
      <FieldError id={errorId} message={form.errors.name} />
    </div>
  )
}

function ExpirationFieldset(props: { form: CreateTokenState }) {
  const { form } = props
  return (
    <fieldset className="field">
      <legend>Expiration</legend>
      <label className="choice">
        <input
          type="radio"
          name="expiration"
          value="never"
          checked={form.expiration === 'never'}
          onChange={() => form.setExpiration('never')}
        />
        Never Expires
      </label>
      <label className="choice">
        <input
          type="radio"
          name="expiration"
          value="calendar"
          checked={form.expiration === 'calendar'}
          onChange={() => form.setExpiration('calendar')}
        />
        Select from Calendar
      </label>
      {form.expiration === 'calendar' ? <ExpirationDate form={form} /> : null}
    </fieldset>
  )
}

function ExpirationDate(props: { form: CreateTokenState }) {
  const { form } = props
  const { date, min } = form
  const ids = { date: useId(), hint: useId(), error: useId() }
  return (
    <div className="field nested">
      <label htmlFor={ids.date}>Expiration date</label>
      <input
        id={ids.date}
        ref={form.dateRef}
        type="date"
        min={min}
        value={date}
        aria-invalid={form.errors.date ? true : undefined}
        aria-describedby={form.errors.date ? `${ids.error} ${ids.hint}` : ids.hint}
        onChange={(e) => form.setDate(e.target.value)}
      />
      <p className="hint" id={ids.hint}>
        {date && date >= min
          ? `Valid through this day (UTC): it stops working at ${formatDateTime(endOfUtcDay(date).toISOString())}.`
          : 'The token is valid through the end of the chosen day (UTC).'}
      </p>
      <FieldError id={ids.error} message={form.errors.date} />
    </div>
  )
}

function TokenReveal(props: { issued: IssuedToken; onClose(): void }) {
  const [copied, setCopied] = useState<'yes' | 'failed' | null>(null)
  const fieldId = useId()
  const warningId = useId()
  const fieldRef = useRef<HTMLTextAreaElement>(null)
  const onClose = useRef(props.onClose)
  onClose.current = props.onClose

  // Leaving the page ends the reveal too, so the back/forward cache cannot bring it back.
  useEffect(() => {
    const forget = () => flushSync(() => onClose.current())
    window.addEventListener('pagehide', forget)
    return () => window.removeEventListener('pagehide', forget)
  }, [])

  async function copy() {
    try {
      await navigator.clipboard.writeText(props.issued.token)
      setCopied('yes')
    } catch {
      fieldRef.current?.select()
      setCopied('failed')
    }
  }

  return (
    <Modal title="Copy your new token" onClose={props.onClose} describedBy={warningId} wide>
      <p className="alert alert-warning" id={warningId}>
        <strong>Copy this token now. It will not be shown again.</strong> Store it somewhere safe,
        such as your CI system's secret store. If you lose it, revoke it and create a new one.
      </p>
      <div className="field">
        <label htmlFor={fieldId}>Token “{props.issued.name}”</label>
        <textarea
          id={fieldId}
          ref={fieldRef}
          className="token-secret"
          readOnly
          rows={6}
          value={props.issued.token}
          spellCheck={false}
          autoComplete="off"
          onFocus={(e) => e.currentTarget.select()}
        />
      </div>
      <p className="hint">
        Send it as <code>Authorization: Bearer &lt;token&gt;</code>.{' '}
        {props.issued.expiresAt
          ? `It expires ${formatDateTime(props.issued.expiresAt)}.`
          : 'It never expires.'}
      </p>
      <div className="notice-region" role="status">
        {copied === 'yes' ? <span className="copied">Copied to clipboard.</span> : null}
        {copied === 'failed' ? (
          <span className="field-error">Could not copy: the token is selected, press Ctrl+C.</span>
        ) : null}
      </div>
      <div className="modal-actions">
        <button type="button" className="button button-primary" onClick={copy} data-autofocus>
          Copy
        </button>
        <button type="button" className="button" onClick={props.onClose}>
          Done
        </button>
      </div>
    </Modal>
  )
}
