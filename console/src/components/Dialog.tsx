import { type ReactNode, useId, useLayoutEffect, useRef, useState } from 'react'
import { messageOf } from '../api.ts'
import { ErrorMessage } from './ui.tsx'

/**
 * A modal dialog: the native <dialog> opened with showModal(), so focus is trapped,
 * the page behind is inert and Escape closes it; focus returns where it was.
 * `dismissible={false}` holds it open against Escape and clicks outside (only its own
 * buttons close it), for a dialog whose content is lost once closed.
 */
export function Modal(props: {
  title: string
  onClose(): void
  children: ReactNode
  describedBy?: string
  wide?: boolean
  /** false: Escape and clicks outside do nothing. Default true. */
  dismissible?: boolean
}) {
  const dismissible = props.dismissible ?? true
  const ref = useRef<HTMLDialogElement>(null)
  const titleId = useId()
  const onClose = useRef(props.onClose)
  onClose.current = props.onClose

  useLayoutEffect(() => {
    const dialog = ref.current
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null
    if (dialog && !dialog.open) {
      dialog.showModal()
      // React does not render the autofocus attribute, so showModal cannot see it.
      dialog.querySelector<HTMLElement>('[data-autofocus]')?.focus()
    }
    return () => {
      if (dialog?.open) dialog.close()
      if (opener?.isConnected) opener.focus()
    }
  }, [])

  return (
    <dialog
      ref={ref}
      className={props.wide ? 'modal modal-wide' : 'modal'}
      aria-modal="true"
      aria-labelledby={titleId}
      aria-describedby={props.describedBy}
      // Chromium lets a page refuse a close request only once per user activation:
      // "none" stops Escape outright, where the browser supports it.
      {...{ closedby: dismissible ? 'closerequest' : 'none' }}
      onCancel={(event) => {
        // Escape: let React unmount the dialog rather than the browser closing it.
        event.preventDefault()
        if (dismissible) onClose.current()
      }}
      onClose={(event) => {
        // A close the page could not refuse (see above): open it again, still modal.
        const dialog = event.currentTarget
        if (!dismissible && dialog.isConnected && !dialog.open) dialog.showModal()
      }}
    >
      <h2 id={titleId} className="modal-title">
        {props.title}
      </h2>
      {props.children}
    </dialog>
  )
}

export interface ConfirmRequest {
  title: string
  message: ReactNode
  confirmLabel: string
  /** Runs on confirm; a thrown error is shown in the dialog, which then stays open. */
  action(): Promise<void>
}

/** The console's confirm: an accessible modal, never window.confirm. */
export function ConfirmDialog(props: { request: ConfirmRequest | null; onDone(): void }) {
  return props.request ? <ConfirmModal request={props.request} onDone={props.onDone} /> : null
}

function ConfirmModal(props: { request: ConfirmRequest; onDone(): void }) {
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const messageId = useId()
  const { request } = props

  async function confirm() {
    setBusy(true)
    setError(null)
    try {
      await request.action()
      props.onDone()
    } catch (e) {
      setError(messageOf(e))
      setBusy(false)
    }
  }

  return (
    <Modal title={request.title} onClose={props.onDone} describedBy={messageId}>
      <div id={messageId} className="modal-body">
        {request.message}
      </div>
      <ErrorMessage>{error}</ErrorMessage>
      <div className="modal-actions">
        <button type="button" className="button" onClick={props.onDone} data-autofocus>
          Cancel
        </button>
        <button type="button" className="button button-danger" onClick={confirm} disabled={busy}>
          {busy ? 'Working…' : request.confirmLabel}
        </button>
      </div>
    </Modal>
  )
}

/** A form dialog's Cancel and submit buttons; the submit one says so while it works. */
export function FormActions(props: {
  onCancel: () => void
  busy: boolean
  label: string
  busyLabel: string
}) {
  return (
    <div className="modal-actions">
      <button type="button" className="button" onClick={props.onCancel}>
        Cancel
      </button>
      <button type="submit" className="button button-primary" disabled={props.busy}>
        {props.busy ? props.busyLabel : props.label}
      </button>
    </div>
  )
}
