import { type ReactNode, useEffect, useId, useRef, useState } from 'react'
import { flushSync } from 'react-dom'
import type { IssuedToken } from '../api.ts'
import { formatExpiry, shortTokenId } from '../format.ts'
import { Modal } from './Dialog.tsx'

/** A secret being shown once: a new token, a rotated one's successor, a canary. */
export interface Secret {
  id: string
  name: string
  token: string
}

/**
 * The one showing of a new secret. It stays open (Escape and clicks outside do nothing)
 * until the user says they copied it: closing it loses the secret for good. `children`
 * say what the secret is for, under the field.
 */
export function TokenReveal(props: { secret: Secret; onClose(): void; children: ReactNode }) {
  const [copied, setCopied] = useState<'yes' | 'failed' | null>(null)
  const [kept, setKept] = useState(false)
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
      await navigator.clipboard.writeText(props.secret.token)
      setCopied('yes')
    } catch {
      fieldRef.current?.select()
      setCopied('failed')
    }
  }

  const { secret } = props
  return (
    <Modal
      title="Copy your new token"
      onClose={props.onClose}
      describedBy={warningId}
      dismissible={kept}
      wide
    >
      <p className="alert alert-warning" id={warningId}>
        <strong>Copy this token now. It will not be shown again.</strong> Store it somewhere safe,
        such as your CI system's secret store. If you lose it, revoke it and create a new one.
      </p>
      <div className="field">
        <label htmlFor={fieldId}>Token “{secret.name}”</label>
        <textarea
          id={fieldId}
          ref={fieldRef}
          className="token-secret"
          readOnly
          rows={6}
          value={secret.token}
          spellCheck={false}
          autoComplete="off"
          onFocus={(e) => e.currentTarget.select()}
        />
      </div>
      {props.children}
      <div className="notice-region" role="status">
        {copied === 'yes' ? <span className="copied">Copied to clipboard.</span> : null}
        {copied === 'failed' ? (
          <span className="field-error">Could not copy: the token is selected, press Ctrl+C.</span>
        ) : null}
      </div>
      <label className="choice">
        <input type="checkbox" checked={kept} onChange={(e) => setKept(e.target.checked)} />I have
        copied this token
      </label>
      <div className="modal-actions">
        <button type="button" className="button button-primary" onClick={copy} data-autofocus>
          Copy
        </button>
        <button type="button" className="button" onClick={props.onClose} disabled={!kept}>
          Done
        </button>
      </div>
    </Modal>
  )
}

/** How to send an API token, its short id and its expiry: the hint under a new token. */
export function BearerHint(props: { issued: IssuedToken }) {
  const { issued } = props
  return (
    <p className="hint">
      Send it as <code>Authorization: Bearer &lt;token&gt;</code>. Token id{' '}
      <code className="mono">{shortTokenId(issued.id)}</code>: {formatExpiry(issued.expiresAt)}.
    </p>
  )
}
