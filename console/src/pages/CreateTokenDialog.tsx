import { type FormEvent, useId, useRef, useState } from 'react'
import { ApiError, type IssuedToken } from '../api.ts'
import { FormActions, Modal } from '../components/Dialog.tsx'
import { BearerHint, TokenReveal } from '../components/TokenReveal.tsx'
import { ErrorMessage, FieldError } from '../components/ui.tsx'
import { useSignedIn } from '../context.ts'
import { useLoad } from '../hooks.ts'
import {
  ExpirationFieldset,
  expiresAtOf,
  expiryProblem,
  tokenMaxDays,
  useExpiry,
} from './TokenExpiryFields.tsx'
import {
  type LimitsDraft,
  limitsInput,
  NO_LIMITS,
  TokenLimitsFields,
} from './TokenLimitsFields.tsx'

/**
 * Create API Token: name and expiration, then the one-time reveal. The secret lives
 * only in this component's state: closing the dialog unmounts it, and it is gone.
 */
export function CreateTokenDialog(props: { onClose(): void; onCreated(): void }) {
  const [issued, setIssued] = useState<IssuedToken | null>(null)
  return issued ? (
    <TokenReveal secret={issued} onClose={props.onClose}>
      <BearerHint issued={issued} />
    </TokenReveal>
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
  name?: string | undefined
  date?: string | undefined
  never?: string | undefined
  form?: string | undefined
}

function nameProblem(name: string): string | undefined {
  const trimmed = name.trim()
  if (!trimmed) return 'Enter a token name, such as the pipeline or script that will use it.'
  if (trimmed.length > 100) return 'Use at most 100 characters.'
  return undefined
}

type CreateTokenState = ReturnType<typeof useCreateTokenForm>

/** The form's fields and errors, and the submit that checks them, then asks the server. */
function useCreateTokenForm(onCreated: (token: IssuedToken) => void) {
  const { api } = useSignedIn()
  // Without the policy (an older server), every choice is offered and the server decides.
  const policy = useLoad(() => api.tokenPolicy(), [api]).data
  const [name, setName] = useState('')
  const expiry = useExpiry()
  const [limits, setLimits] = useState<LimitsDraft>(NO_LIMITS)
  const [errors, setErrors] = useState<FormErrors>({})
  const [busy, setBusy] = useState(false)
  const nameRef = useRef<HTMLInputElement>(null)
  const maxDays = tokenMaxDays(policy, limitsInput(limits).roles ?? [])

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    const found: FormErrors = { name: nameProblem(name), ...expiryProblem(expiry, policy, maxDays) }
    setErrors(found)
    if (found.name) return nameRef.current?.focus()
    if (found.date) return expiry.dateRef.current?.focus()
    if (found.never) return expiry.acknowledgeRef.current?.focus()
    setBusy(true)
    try {
      const token = await api.createToken(name.trim(), expiresAtOf(expiry), limitsInput(limits))
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
    expiry,
    policy,
    maxDays,
    limits,
    setLimits,
    errors,
    busy,
    nameRef,
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
        <ExpirationFieldset
          draft={form.expiry}
          policy={form.policy}
          maxDays={form.maxDays}
          errors={errors}
        />
        <TokenLimitsFields draft={form.limits} onChange={form.setLimits} />
        {errors.form && !errors.name && !errors.date ? (
          <ErrorMessage>{errors.form}</ErrorMessage>
        ) : null}
        <FormActions onCancel={props.onCancel} busy={busy} label="Create" busyLabel="Creating…" />
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
