import type { MouseEvent, ReactNode } from 'react'
import type { Role, TokenStatus } from '../api.ts'
import { formatDate, formatDateTime, formatTime, STATUS_LABEL } from '../format.ts'
import { navigate } from '../router.ts'

/** An ordinary link that the console routes itself (new tabs still work). */
export function Link(props: { to: string; className?: string; children: ReactNode }) {
  function onClick(event: MouseEvent<HTMLAnchorElement>) {
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) {
      return
    }
    event.preventDefault()
    navigate(props.to)
  }
  return (
    <a href={props.to} className={props.className} onClick={onClick}>
      {props.children}
    </a>
  )
}

/** An error the person must read: announced at once. */
export function ErrorMessage(props: { children: ReactNode; id?: string }) {
  if (!props.children) return null
  return (
    <div className="alert alert-error" role="alert" id={props.id}>
      {props.children}
    </div>
  )
}

/** A field's own error, under it (the input points at it with aria-describedby). */
export function FieldError(props: { id: string; message: string | undefined }) {
  if (!props.message) return null
  return (
    <p className="field-error" id={props.id}>
      {props.message}
    </p>
  )
}

/** A confirmation of something that just happened: announced politely. */
export function Notice(props: { children: ReactNode }) {
  return (
    <div className="notice-region" role="status">
      {props.children ? <div className="alert alert-success">{props.children}</div> : null}
    </div>
  )
}

export function EmptyState(props: { title: string; children?: ReactNode }) {
  return (
    <div className="empty">
      <p className="empty-title">{props.title}</p>
      {props.children ? <p className="empty-text">{props.children}</p> : null}
    </div>
  )
}

export function Loading() {
  return <p className="loading">Loading…</p>
}

export function StatusBadge(props: { status: TokenStatus }) {
  return <span className={`badge badge-${props.status}`}>{STATUS_LABEL[props.status]}</span>
}

export function RoleBadges(props: { roles: readonly Role[] }) {
  if (props.roles.length === 0) return <span className="muted">No roles</span>
  return (
    <ul className="role-list">
      {props.roles.map((r) => (
        <li key={r} className="badge badge-role">
          {r}
        </li>
      ))}
    </ul>
  )
}

export function DateTime(props: { iso: string | null; empty?: string }) {
  if (!props.iso) return <span className="muted">{props.empty ?? 'Never'}</span>
  // Date and time apart, so a narrow table cell breaks between them, not inside either.
  return (
    <time dateTime={props.iso} title={formatDateTime(props.iso)}>
      <span className="dt-date">{formatDate(props.iso)}</span>{' '}
      <span className="dt-time">{formatTime(props.iso)}</span>
    </time>
  )
}

export function UserIcon() {
  return (
    <svg className="icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
      <circle cx="12" cy="12" r="11" fill="currentColor" opacity="0.18" />
      <circle cx="12" cy="9.5" r="3.6" fill="currentColor" />
      <path d="M5.2 18.6c1.4-2.6 3.9-4 6.8-4s5.4 1.4 6.8 4" fill="currentColor" />
    </svg>
  )
}

export function LogoMark() {
  return (
    <svg className="logo-mark" viewBox="0 0 32 32" aria-hidden="true" focusable="false">
      <rect width="32" height="32" rx="7" fill="#2453d4" />
      <path
        d="M9 22l7-12 7 12"
        fill="none"
        stroke="#fff"
        strokeWidth="3"
        strokeLinecap="round"
        strokeLinejoin="round"
      />
      <circle cx="16" cy="19" r="2" fill="#fff" />
    </svg>
  )
}
