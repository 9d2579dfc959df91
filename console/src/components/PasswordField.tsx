import { FieldError } from './ui.tsx'

/**
 * A password input with its label, an optional hint and its own error under it. The input
 * points at the error (when there is one) and the hint with aria-describedby.
 */
export function PasswordField(props: {
  id: string
  label: string
  autoComplete: 'current-password' | 'new-password'
  value: string
  onChange(value: string): void
  error: string | undefined | null
  errorId: string
  hint?: { id: string; text: string } | undefined
}) {
  const { error, errorId, hint } = props
  return (
    <div className="field">
      <label htmlFor={props.id}>{props.label}</label>
      <input
        id={props.id}
        type="password"
        autoComplete={props.autoComplete}
        value={props.value}
        aria-invalid={error ? true : undefined}
        aria-describedby={[error ? errorId : '', hint?.id ?? ''].join(' ').trim() || undefined}
        onChange={(e) => props.onChange(e.target.value)}
      />
      {hint ? (
        <p className="hint" id={hint.id}>
          {hint.text}
        </p>
      ) : null}
      <FieldError id={errorId} message={error ?? undefined} />
    </div>
  )
}
