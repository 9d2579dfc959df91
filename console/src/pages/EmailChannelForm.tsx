import { type FormEvent, type HTMLAttributes, useEffect, useId, useState } from 'react'
import { FieldError } from '../components/ui.tsx'
import {
  DEFAULT_PORT,
  type EmailChannelInput,
  type EmailChannelView,
  type EmailSecurity,
  SECURITY_LABEL,
} from '../notifications.ts'
import type { NotificationActions } from './NotificationSettings.tsx'

/** The email channel as typed: text fields, so a half-typed port is kept as it is. */
interface EmailDraft {
  host: string
  port: string
  security: EmailSecurity
  username: string
  /** A new password; empty keeps the stored one. */
  password: string
  from: string
}

type Problem = { field: keyof EmailDraft; error: string }

function draftOf(view: EmailChannelView | null): EmailDraft {
  return {
    host: view?.host ?? '',
    port: String(view?.port ?? DEFAULT_PORT.starttls),
    security: view?.security ?? 'starttls',
    username: view?.username ?? '',
    password: '',
    from: view?.from ?? '',
  }
}

/** The draft as the server takes it, or the first field that is wrong and why. */
function parseEmail(draft: EmailDraft): { value: EmailChannelInput } | Problem {
  const host = draft.host.trim()
  if (!host || /\s/.test(host)) {
    return { field: 'host', error: "Enter the SMTP server's host name, such as smtp.example.com." }
  }
  const port = Number(draft.port.trim())
  if (!/^\d+$/.test(draft.port.trim()) || port < 1 || port > 65_535) {
    return { field: 'port', error: 'Enter a port from 1 to 65,535.' }
  }
  const username = draft.username.trim()
  if (draft.password && !username) {
    return { field: 'username', error: 'Enter the username that goes with the password.' }
  }
  const from = draft.from.trim()
  if (!/^[^@]+@[^@]+$/.test(from)) {
    return {
      field: 'from',
      error: 'Enter the sender address, such as apiops@example.com or apiops <apiops@example.com>.',
    }
  }
  return {
    value: {
      host,
      port,
      security: draft.security,
      username: username || null,
      // No login, no password: a stored one goes too.
      ...(draft.password ? { password: draft.password } : username ? {} : { password: null }),
      from,
    },
  }
}

/** One labelled text input, its hint and its own error under it. */
export function TextField(props: {
  id: string
  label: string
  value: string
  onChange(value: string): void
  error?: string | undefined
  hint?: string | undefined
  type?: 'text' | 'password' | 'url'
  inputMode?: HTMLAttributes<HTMLInputElement>['inputMode']
}) {
  const errorId = `${props.id}-error`
  const hintId = `${props.id}-hint`
  const describedBy = [props.error ? errorId : '', props.hint ? hintId : ''].join(' ').trim()
  return (
    <div className="field">
      <label htmlFor={props.id}>{props.label}</label>
      <input
        id={props.id}
        type={props.type ?? 'text'}
        inputMode={props.inputMode}
        autoComplete={props.type === 'password' ? 'new-password' : 'off'}
        spellCheck={false}
        value={props.value}
        aria-invalid={props.error ? true : undefined}
        aria-describedby={describedBy || undefined}
        onChange={(e) => props.onChange(e.target.value)}
      />
      {props.hint ? (
        <p className="hint" id={hintId}>
          {props.hint}
        </p>
      ) : null}
      <FieldError id={errorId} message={props.error} />
    </div>
  )
}

/** The email channel: the SMTP server reminders and alerts go through. */
export function EmailChannelForm(props: {
  view: EmailChannelView | null
  actions: NotificationActions
}) {
  const { view, actions } = props
  const [draft, setDraft] = useState(() => draftOf(view))
  const [problem, setProblem] = useState<Problem | null>(null)
  const id = useId()
  const idOf = (field: keyof EmailDraft) => `${id}-${field}`

  useEffect(() => setDraft(draftOf(view)), [view])

  async function save(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    const parsed = parseEmail(draft)
    setProblem('error' in parsed ? parsed : null)
    if ('error' in parsed) return document.getElementById(idOf(parsed.field))?.focus()
    await actions.save({ email: parsed.value }, 'Saved the email settings.')
  }

  const edit = (change: Partial<EmailDraft>) => setDraft({ ...draft, ...change })
  const errorOf = (field: keyof EmailDraft) =>
    problem?.field === field ? problem.error : undefined
  return (
    <form className="form" onSubmit={save} noValidate aria-labelledby={`${id}-heading`}>
      <h3 id={`${id}-heading`} className="minor">
        Email (SMTP)
      </h3>
      <TextField
        id={idOf('host')}
        label="SMTP host"
        value={draft.host}
        onChange={(host) => edit({ host })}
        error={errorOf('host')}
      />
      <SecurityField draft={draft} id={idOf('security')} onChange={edit} />
      <TextField
        id={idOf('port')}
        label="Port"
        inputMode="numeric"
        value={draft.port}
        onChange={(port) => edit({ port })}
        error={errorOf('port')}
      />
      <TextField
        id={idOf('username')}
        label="Username (empty: no login)"
        value={draft.username}
        onChange={(username) => edit({ username })}
        error={errorOf('username')}
      />
      <TextField
        id={idOf('password')}
        label={view?.passwordSet ? 'New password' : 'Password'}
        type="password"
        value={draft.password}
        onChange={(password) => edit({ password })}
        hint={
          view?.passwordSet
            ? 'A password is set; it is never shown. Leave this empty to keep it.'
            : 'No password is set.'
        }
      />
      <TextField
        id={idOf('from')}
        label="From address"
        value={draft.from}
        onChange={(from) => edit({ from })}
        error={errorOf('from')}
      />
      <ChannelButtons channel="email" configured={view !== null} actions={actions} />
    </form>
  )
}

/** STARTTLS, TLS or none; the port follows while it is still the previous usual one. */
function SecurityField(props: {
  draft: EmailDraft
  id: string
  onChange(change: Partial<EmailDraft>): void
}) {
  const { draft } = props
  function choose(security: EmailSecurity) {
    const usual = draft.port === String(DEFAULT_PORT[draft.security])
    props.onChange({ security, ...(usual ? { port: String(DEFAULT_PORT[security]) } : {}) })
  }
  return (
    <div className="field">
      <label htmlFor={props.id}>Connection security</label>
      <select
        id={props.id}
        value={draft.security}
        onChange={(e) => choose(e.target.value as EmailSecurity)}
      >
        {(Object.keys(SECURITY_LABEL) as EmailSecurity[]).map((s) => (
          <option key={s} value={s}>
            {SECURITY_LABEL[s]}
          </option>
        ))}
      </select>
    </div>
  )
}

/** Save; and, for a channel in force, a test message and its removal. */
export function ChannelButtons(props: {
  channel: 'email' | 'webhook'
  configured: boolean
  actions: NotificationActions
}) {
  const { channel, configured, actions } = props
  return (
    <div className="modal-actions">
      <button type="submit" className="button button-primary" disabled={actions.busy}>
        {channel === 'email' ? 'Apply email settings' : 'Apply webhook settings'}
      </button>
      {configured ? (
        <>
          <button
            type="button"
            className="button"
            disabled={actions.busy}
            onClick={() => void actions.test(channel)}
          >
            {channel === 'email' ? 'Send test email' : 'Send test webhook'}
          </button>
          <button
            type="button"
            className="button button-danger-outline"
            disabled={actions.busy}
            onClick={() => actions.askRemove(channel)}
          >
            {channel === 'email' ? 'Remove email' : 'Remove webhook'}
          </button>
        </>
      ) : null}
    </div>
  )
}
