import { type FormEvent, useId, useRef, useState } from 'react'
import { ApiError, messageOf } from '../api.ts'
import { FormActions, Modal } from '../components/Dialog.tsx'
import { TokenReveal } from '../components/TokenReveal.tsx'
import { ErrorMessage, FieldError } from '../components/ui.tsx'
import { useSignedIn } from '../context.ts'
import { shortTokenId } from '../format.ts'
import type { IssuedCanary } from '../my-tokens-api.ts'

/** What a canary is, in the sentence the reveal shows under it. */
const CANARY_IS =
  'A canary token grants nothing: plant it where a leak would show (a repository, a configuration file), and any use of it is refused and raises an alert with the address it came from.'

/**
 * Create canary token: a name, then the one showing of the canary, held like a new
 * token's. The secret lives only in this component's state.
 */
export function CreateCanaryDialog(props: { onClose(): void; onCreated(): void }) {
  const [issued, setIssued] = useState<IssuedCanary | null>(null)
  if (issued) {
    return (
      <TokenReveal secret={issued} onClose={props.onClose}>
        <p className="hint">
          {CANARY_IS} Token id <code className="mono">{shortTokenId(issued.id)}</code>.
        </p>
      </TokenReveal>
    )
  }
  return (
    <CanaryForm
      onCancel={props.onClose}
      onCreated={(canary) => {
        setIssued(canary)
        props.onCreated()
      }}
    />
  )
}

function CanaryForm(props: { onCancel(): void; onCreated(canary: IssuedCanary): void }) {
  const { api } = useSignedIn()
  const [name, setName] = useState('')
  const [nameError, setNameError] = useState<string | undefined>()
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  const nameRef = useRef<HTMLInputElement>(null)
  const ids = { name: useId(), error: useId(), hint: useId() }

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    const trimmed = name.trim()
    setNameError(trimmed ? undefined : 'Enter a name that tells you where you plant it.')
    if (!trimmed) return nameRef.current?.focus()
    setBusy(true)
    setError(null)
    try {
      props.onCreated(await api.createCanary(trimmed))
    } catch (e) {
      const forName = e instanceof ApiError ? e.forField('name') : undefined
      setNameError(forName)
      setError(forName ? null : messageOf(e))
      setBusy(false)
    }
  }

  return (
    <Modal title="Create canary token" onClose={props.onCancel}>
      <form onSubmit={submit} noValidate className="form">
        <p id={ids.hint}>{CANARY_IS}</p>
        <div className="field">
          <label htmlFor={ids.name}>Canary name</label>
          <input
            id={ids.name}
            ref={nameRef}
            value={name}
            maxLength={100}
            autoComplete="off"
            placeholder="e.g. backup-repo-env-file"
            aria-invalid={nameError ? true : undefined}
            aria-describedby={nameError ? `${ids.error} ${ids.hint}` : ids.hint}
            onChange={(e) => setName(e.target.value)}
            data-autofocus
          />
          <FieldError id={ids.error} message={nameError} />
        </div>
        <ErrorMessage>{error}</ErrorMessage>
        <FormActions onCancel={props.onCancel} busy={busy} label="Create" busyLabel="Creating…" />
      </form>
    </Modal>
  )
}
