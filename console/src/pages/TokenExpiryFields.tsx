import { type RefObject, useId, useRef, useState } from 'react'
import type { Role, TokenPolicy } from '../api.ts'
import { FieldError } from '../components/ui.tsx'
import { endOfUtcDay, formatExpiry, tomorrow, utcDayFromNow } from '../format.ts'

/** The Create dialog's expiry choices: a number of days, a calendar date, or never. */
export type Expiration = '30' | '60' | '90' | 'calendar' | 'never'
const PRESETS = ['30', '60', '90'] as const

/**
 * The most days a token may live (null: no maximum): for a token narrowed to some roles,
 * the smallest of those roles' maxima; otherwise the smallest among its owner's roles.
 */
export function tokenMaxDays(policy: TokenPolicy | undefined, roles: string[]): number | null {
  if (!policy) return null
  if (roles.length === 0) return policy.maxLifetimeDays
  const maxima = roles
    .map((r) => policy.maxDaysByRole[r as Role])
    .filter((d): d is number => typeof d === 'number')
  return maxima.length > 0 ? Math.min(...maxima) : null
}

/** Why a choice is beyond what the policy allows, in words; null when it is allowed. */
export function refusal(
  choice: Expiration,
  policy: TokenPolicy | undefined,
  maxDays: number | null,
): string | null {
  if (choice === 'never') {
    if (policy && !policy.neverExpiresAllowed) {
      return 'An administrator has turned off tokens that never expire.'
    }
    if (maxDays !== null) return `Not allowed: this token may live at most ${maxDays} days.`
    return null
  }
  if (choice !== 'calendar' && maxDays !== null && Number(choice) > maxDays) {
    return `Longer than this token's maximum of ${maxDays} days.`
  }
  return null
}

/** The expiry draft: the choice, the calendar date, the acknowledgement of never. */
export function useExpiry() {
  const [expiration, setExpiration] = useState<Expiration>('30')
  const [date, setDate] = useState('')
  const [neverAcknowledged, setNeverAcknowledged] = useState(false)
  const dateRef = useRef<HTMLInputElement>(null)
  const acknowledgeRef = useRef<HTMLInputElement>(null)
  return {
    expiration,
    setExpiration,
    date,
    setDate,
    neverAcknowledged,
    setNeverAcknowledged,
    dateRef,
    acknowledgeRef,
  }
}

export type ExpiryDraft = ReturnType<typeof useExpiry>

/** What the server is sent: YYYY-MM-DD (valid through that UTC day), or null for never. */
export function expiresAtOf(draft: ExpiryDraft): string | null {
  if (draft.expiration === 'never') return null
  if (draft.expiration === 'calendar') return draft.date
  return utcDayFromNow(Number(draft.expiration))
}

/** What is wrong with the expiry as chosen, before asking the server; or nothing. */
export function expiryProblem(
  draft: ExpiryDraft,
  policy: TokenPolicy | undefined,
  maxDays: number | null,
): { date?: string; never?: string } {
  const { expiration, date } = draft
  const refused = refusal(expiration, policy, maxDays)
  if (refused) return { date: refused }
  if (expiration === 'never' && !draft.neverAcknowledged) {
    return { never: 'Tick the box to confirm that this token never expires, or choose a date.' }
  }
  if (expiration !== 'calendar') return {}
  if (!date) return { date: 'Choose an expiration date, or one of the other choices.' }
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) return { date: 'Enter the date as YYYY-MM-DD.' }
  if (date < tomorrow()) {
    return { date: 'The expiration date must be in the future: choose tomorrow or a later date.' }
  }
  if (maxDays !== null && date > utcDayFromNow(maxDays)) {
    return {
      date: `At most ${maxDays} days for this token: choose ${utcDayFromNow(maxDays)} or earlier.`,
    }
  }
  return {}
}

interface FieldsetProps {
  draft: ExpiryDraft
  policy: TokenPolicy | undefined
  maxDays: number | null
  errors: { date?: string | undefined; never?: string | undefined }
}

/** 30 / 60 / 90 days, a calendar date, Never Expires (when allowed); each with its reason when not. */
export function ExpirationFieldset(props: FieldsetProps) {
  const { draft, policy, maxDays } = props
  const neverOffered = policy?.neverExpiresAllowed !== false
  const ids = { hint: useId(), error: useId() }
  return (
    <fieldset className="field">
      <legend>Expiration</legend>
      {PRESETS.map((days) => (
        <Choice key={days} {...props} value={days} label={`${days} days`}>
          {formatExpiry(endOfUtcDay(utcDayFromNow(Number(days))).toISOString())}
        </Choice>
      ))}
      <Choice {...props} value="calendar" label="Select from Calendar" />
      {draft.expiration === 'calendar' ? <ExpirationDate {...props} /> : null}
      {neverOffered ? <Choice {...props} value="never" label="Never Expires" /> : null}
      {draft.expiration === 'never' ? <NeverAcknowledgement {...props} /> : null}
      <p className="hint" id={ids.hint}>
        {neverOffered ? null : 'An administrator has turned off tokens that never expire. '}
        {maxDays !== null ? `This token may live at most ${maxDays} days.` : null}
      </p>
      {draft.expiration !== 'calendar' ? (
        <FieldError id={ids.error} message={props.errors.date} />
      ) : null}
    </fieldset>
  )
}

function Choice(props: FieldsetProps & { value: Expiration; label: string; children?: string }) {
  const { draft, value } = props
  const refused = refusal(value, props.policy, props.maxDays)
  const reasonId = useId()
  return (
    <label className="choice">
      <input
        type="radio"
        name="expiration"
        value={value}
        checked={draft.expiration === value}
        disabled={refused !== null}
        aria-describedby={refused || props.children ? reasonId : undefined}
        onChange={() => draft.setExpiration(value)}
      />
      {props.label}
      {refused || props.children ? (
        <span className="sub" id={reasonId}>
          {refused ?? props.children}
        </span>
      ) : null}
    </label>
  )
}

function ExpirationDate(props: FieldsetProps) {
  const { draft, maxDays, errors } = props
  const min = tomorrow()
  const ids = { date: useId(), hint: useId(), error: useId() }
  const { date } = draft
  return (
    <div className="field nested">
      <label htmlFor={ids.date}>Expiration date</label>
      <input
        id={ids.date}
        ref={draft.dateRef}
        type="date"
        min={min}
        max={maxDays !== null ? utcDayFromNow(maxDays) : undefined}
        value={date}
        aria-invalid={errors.date ? true : undefined}
        aria-describedby={errors.date ? `${ids.error} ${ids.hint}` : ids.hint}
        onChange={(e) => draft.setDate(e.target.value)}
      />
      <p className="hint" id={ids.hint}>
        {date && date >= min
          ? `The token is ${formatExpiry(endOfUtcDay(date).toISOString())}.`
          : 'The token is valid through the end of the chosen day (UTC).'}
      </p>
      <FieldError id={ids.error} message={errors.date} />
    </div>
  )
}

function NeverAcknowledgement(props: FieldsetProps) {
  const { draft, errors } = props
  const errorId = useId()
  return (
    <div className="field nested">
      <label className="choice">
        <input
          ref={draft.acknowledgeRef as RefObject<HTMLInputElement>}
          type="checkbox"
          checked={draft.neverAcknowledged}
          aria-invalid={errors.never ? true : undefined}
          aria-describedby={errors.never ? errorId : undefined}
          onChange={(e) => draft.setNeverAcknowledged(e.target.checked)}
        />
        I understand this token never expires: it works until someone revokes it.
      </label>
      <FieldError id={errorId} message={errors.never} />
    </div>
  )
}
