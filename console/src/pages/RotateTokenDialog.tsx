import { type FormEvent, type RefObject, useId, useRef, useState } from 'react'
import { type IssuedToken, messageOf, type TokenView } from '../api.ts'
import { now } from '../clock.ts'
import { FormActions, Modal } from '../components/Dialog.tsx'
import { BearerHint, TokenReveal } from '../components/TokenReveal.tsx'
import { ErrorMessage, FieldError } from '../components/ui.tsx'
import { useSignedIn } from '../context.ts'
import { formatDateTime } from '../format.ts'
import { MAX_GRACE_SECONDS } from '../my-tokens-api.ts'

/*
 * Rotate: a new secret for a token (same name, limits and expiry), the old one stopping
 * now or after a grace period; then the new secret's one showing, held like a new token's.
 */

type Grace = 'none' | 'hour' | 'day' | 'custom'
const MAX_MINUTES = MAX_GRACE_SECONDS / 60

const GRACE_CHOICES: { id: Grace; label: string; seconds: number }[] = [
  { id: 'none', label: 'No grace: the old token stops now', seconds: 0 },
  { id: 'hour', label: '1 hour', seconds: 3600 },
  { id: 'day', label: '24 hours', seconds: MAX_GRACE_SECONDS },
  { id: 'custom', label: 'Custom, in minutes', seconds: 0 },
]

/** The grace chosen, in seconds, or what is wrong with the typed minutes. */
function graceSeconds(grace: Grace, minutes: string): { seconds: number } | { error: string } {
  if (grace !== 'custom') {
    return { seconds: GRACE_CHOICES.find((c) => c.id === grace)?.seconds ?? 0 }
  }
  const typed = minutes.trim()
  if (!/^\d+$/.test(typed) || Number(typed) > MAX_MINUTES) {
    return {
      error: `Enter whole minutes from 0 to ${MAX_MINUTES.toLocaleString()} (24 hours).`,
    }
  }
  return { seconds: Number(typed) * 60 }
}

/** When the old token stops: the grace's end, never past its own expiry; null: now. */
function graceEnd(token: TokenView, seconds: number): string | null {
  if (seconds === 0) return null
  const end = now().getTime() + seconds * 1000
  const expiry = token.expiresAt === null ? end : Date.parse(token.expiresAt)
  return new Date(Math.min(end, expiry)).toISOString()
}

/** What became of the old token, in one sentence. */
export function oldTokenFate(name: string, endsAt: string | null): string {
  return endsAt === null
    ? `Token “${name}” was rotated: its old secret stopped working.`
    : `Token “${name}” was rotated: its old secret keeps working until ${formatDateTime(endsAt)}, then stops.`
}

export function RotateTokenDialog(props: {
  token: TokenView
  onClose(): void
  /** The rotation is done (the list should show it); `fate` says what became of the old one. */
  onRotated(fate: string): void
}) {
  const [issued, setIssued] = useState<{ token: IssuedToken; fate: string } | null>(null)
  if (issued) {
    return (
      <TokenReveal secret={issued.token} onClose={props.onClose}>
        <p className="hint">{issued.fate}</p>
        <BearerHint issued={issued.token} />
      </TokenReveal>
    )
  }
  return (
    <RotateForm
      token={props.token}
      onCancel={props.onClose}
      onRotated={(token, fate) => {
        setIssued({ token, fate })
        props.onRotated(fate)
      }}
    />
  )
}

function RotateForm(props: {
  token: TokenView
  onCancel(): void
  onRotated(token: IssuedToken, fate: string): void
}) {
  const { api } = useSignedIn()
  const [grace, setGrace] = useState<Grace>('none')
  const [minutes, setMinutes] = useState('')
  const [minutesError, setMinutesError] = useState<string | undefined>()
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  const minutesRef = useRef<HTMLInputElement>(null)

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    const chosen = graceSeconds(grace, minutes)
    setMinutesError('error' in chosen ? chosen.error : undefined)
    if ('error' in chosen) return minutesRef.current?.focus()
    setBusy(true)
    setError(null)
    try {
      const issued = await api.rotateMyToken(props.token.id, chosen.seconds)
      props.onRotated(issued, oldTokenFate(props.token.name, graceEnd(props.token, chosen.seconds)))
    } catch (e) {
      setError(messageOf(e))
      setBusy(false)
    }
  }

  const draft = { grace, setGrace, minutes, setMinutes, minutesError, minutesRef }
  return (
    <Modal title="Rotate token" onClose={props.onCancel}>
      <form onSubmit={submit} noValidate className="form">
        <p>
          A new secret replaces the one of <strong className="break">{props.token.name}</strong>,
          with the same name, limits and expiry.
        </p>
        <GraceFieldset draft={draft} />
        <ErrorMessage>{error}</ErrorMessage>
        <FormActions
          onCancel={props.onCancel}
          busy={busy}
          label="Rotate token"
          busyLabel="Rotating…"
        />
      </form>
    </Modal>
  )
}

function GraceFieldset(props: {
  draft: {
    grace: Grace
    setGrace(g: Grace): void
    minutes: string
    setMinutes(m: string): void
    minutesError: string | undefined
    minutesRef: RefObject<HTMLInputElement | null>
  }
}) {
  const { draft } = props
  const ids = { hint: useId(), minutes: useId(), error: useId(), name: useId() }
  return (
    <fieldset className="field" aria-describedby={ids.hint}>
      <legend>Grace period for the old token</legend>
      <p className="hint" id={ids.hint}>
        During a grace period the old and the new token both work, so a pipeline can switch to the
        new secret without an outage; then the old one stops.
      </p>
      {GRACE_CHOICES.map((choice) => (
        <label className="choice" key={choice.id}>
          <input
            type="radio"
            name={ids.name}
            checked={draft.grace === choice.id}
            onChange={() => draft.setGrace(choice.id)}
            data-autofocus={choice.id === 'none' ? true : undefined}
          />
          {choice.label}
        </label>
      ))}
      {draft.grace === 'custom' ? (
        <div className="field">
          <label htmlFor={ids.minutes}>
            Minutes of grace (0 to {MAX_MINUTES.toLocaleString()})
          </label>
          <input
            id={ids.minutes}
            ref={draft.minutesRef}
            type="text"
            inputMode="numeric"
            autoComplete="off"
            value={draft.minutes}
            aria-invalid={draft.minutesError ? true : undefined}
            aria-describedby={draft.minutesError ? ids.error : undefined}
            onChange={(e) => draft.setMinutes(e.target.value)}
          />
          <FieldError id={ids.error} message={draft.minutesError} />
        </div>
      ) : null}
    </fieldset>
  )
}
