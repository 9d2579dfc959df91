import { type FormEvent, type ReactNode, useEffect, useId, useState } from 'react'
import {
  ApiError,
  messageOf,
  type PolicySettingView,
  ROLES,
  type Role,
  type RuntimeSettings,
  type SettingSource,
  type TokenLifetimePolicy,
} from '../api.ts'
import { DateTime, ErrorMessage, Notice } from '../components/ui.tsx'
import { useSignedIn } from '../context.ts'
import type { Loaded } from '../hooks.ts'

/** What the server accepts (src/settings): per-role maxima and the inactivity limit. */
const MAX_DAYS = 36_500
const MAX_INACTIVITY = 3650

/** The policy as typed: text fields, so a half-typed number is kept as it is. */
interface Draft {
  neverExpiresAllowed: boolean
  maxDays: Record<Role, string>
  inactivityDays: string
}

function draftOf(policy: TokenLifetimePolicy): Draft {
  const maxDays = Object.fromEntries(
    ROLES.map((r) => [
      r,
      policy.maxDaysByRole[r] === undefined ? '' : String(policy.maxDaysByRole[r]),
    ]),
  ) as Record<Role, string>
  return {
    neverExpiresAllowed: policy.neverExpiresAllowed,
    maxDays,
    inactivityDays: String(policy.inactivityDays),
  }
}

/** The draft as the server takes it, or the words for the first field that is wrong. */
function parseDraft(draft: Draft): { value: TokenLifetimePolicy } | { error: string } {
  const maxDaysByRole: Partial<Record<Role, number>> = {}
  for (const role of ROLES) {
    const typed = draft.maxDays[role].trim()
    if (typed === '') continue
    const days = Number(typed)
    if (!/^\d+$/.test(typed) || days < 1 || days > MAX_DAYS) {
      return { error: `${role}: enter whole days from 1 to ${MAX_DAYS}, or leave it empty.` }
    }
    maxDaysByRole[role] = days
  }
  const inactivity = draft.inactivityDays.trim()
  if (!/^\d+$/.test(inactivity) || Number(inactivity) > MAX_INACTIVITY) {
    return { error: `Inactivity limit: enter whole days from 0 to ${MAX_INACTIVITY} (0: off).` }
  }
  return {
    value: {
      neverExpiresAllowed: draft.neverExpiresAllowed,
      maxDaysByRole,
      inactivityDays: Number(inactivity),
    },
  }
}

/** The policy in force in one sentence per part. */
function describe(policy: TokenLifetimePolicy): string[] {
  const maxima = Object.entries(policy.maxDaysByRole)
  return [
    policy.neverExpiresAllowed
      ? 'Tokens that never expire are allowed.'
      : 'Tokens that never expire are not allowed.',
    maxima.length === 0
      ? 'No role limits how long a token lives.'
      : `Maximum lifetime: ${maxima.map(([r, d]) => `${r} ${d} days`).join(', ')}.`,
    policy.inactivityDays === 0
      ? 'Unused tokens are not revoked.'
      : `Tokens unused for ${policy.inactivityDays} days are revoked.`,
  ]
}

/** The administrators' token lifetime policy: read, changed, reset to the defaults. */
export function TokenPolicySettings(props: { settings: Loaded<RuntimeSettings> }) {
  const { api } = useSignedIn()
  const policy = props.settings.data?.tokenLifetimePolicy
  const [draft, setDraft] = useState<Draft | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [notice, setNotice] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)

  useEffect(() => {
    if (policy) setDraft(draftOf(policy.value))
  }, [policy])

  async function change(value: TokenLifetimePolicy | null) {
    setBusy(true)
    setError(null)
    setNotice(null)
    try {
      const saved = await api.updateSettings({ tokenLifetimePolicy: value })
      await props.settings.reload()
      const words = describe(saved.tokenLifetimePolicy.value).join(' ')
      setNotice(value === null ? `Back to the defaults. ${words}` : `Saved. ${words}`)
    } catch (e) {
      setError(e instanceof ApiError ? e.message : messageOf(e))
    } finally {
      setBusy(false)
    }
  }

  async function save(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    if (!draft) return
    const parsed = parseDraft(draft)
    if ('error' in parsed) return setError(parsed.error)
    await change(parsed.value)
  }

  return (
    <section className="card" aria-labelledby="token-policy-heading">
      <h2 id="token-policy-heading">Token lifetime policy</h2>
      <p className="section-text">
        How long personal API tokens may live, and when unused ones are revoked. A token's maximum
        is the smallest among its roles; tokens made before a change keep their expiry.
      </p>
      <Notice>{notice}</Notice>
      <ErrorMessage>{error}</ErrorMessage>
      {policy ? <PolicyDetails policy={policy} /> : null}
      {draft ? (
        <form className="form" onSubmit={save} noValidate aria-label="Token lifetime policy">
          <PolicyFields draft={draft} onChange={setDraft} />
          <div className="modal-actions">
            <button type="submit" className="button button-primary" disabled={busy}>
              Apply policy
            </button>
            {policy?.source === 'administrator' ? (
              <button type="button" className="button" disabled={busy} onClick={() => change(null)}>
                Reset policy to defaults
              </button>
            ) : null}
          </div>
        </form>
      ) : null}
    </section>
  )
}

function PolicyDetails(props: { policy: PolicySettingView }) {
  const { policy } = props
  return (
    <dl className="details">
      <div>
        <dt>In force</dt>
        <dd>
          {describe(policy.value).map((line) => (
            <span key={line} className="sub">
              {line}
            </span>
          ))}
        </dd>
      </div>
      <div>
        <dt>Source</dt>
        <dd>
          <SetBy setting={policy}>The defaults</SetBy>
        </dd>
      </div>
    </dl>
  )
}

/** Who set a runtime setting and when; `children` when it is not an administrator's. */
export function SetBy(props: {
  setting: { source: SettingSource; updatedBy: string | null; updatedAt: string | null }
  children: ReactNode
}) {
  const { setting } = props
  if (setting.source !== 'administrator') return <>{props.children}</>
  return (
    <>
      Set by {setting.updatedBy ?? 'an administrator'}
      {setting.updatedAt ? (
        <>
          {' '}
          at <DateTime iso={setting.updatedAt} />
        </>
      ) : null}
    </>
  )
}

function PolicyFields(props: { draft: Draft; onChange(d: Draft): void }) {
  const { draft, onChange } = props
  const ids = { inactivity: useId(), hint: useId() }
  const roleIds = useId()
  return (
    <>
      <label className="choice">
        <input
          type="checkbox"
          checked={draft.neverExpiresAllowed}
          onChange={(e) => onChange({ ...draft, neverExpiresAllowed: e.target.checked })}
        />
        Allow tokens that never expire
      </label>
      <fieldset className="field">
        <legend>Maximum lifetime per role, in days (empty: no maximum)</legend>
        {ROLES.map((role) => (
          <div className="field" key={role}>
            <label htmlFor={`${roleIds}-${role}`}>Maximum days for {role}</label>
            <input
              id={`${roleIds}-${role}`}
              type="text"
              inputMode="numeric"
              autoComplete="off"
              value={draft.maxDays[role]}
              onChange={(e) =>
                onChange({ ...draft, maxDays: { ...draft.maxDays, [role]: e.target.value } })
              }
            />
          </div>
        ))}
      </fieldset>
      <div className="field">
        <label htmlFor={ids.inactivity}>Revoke tokens unused for this many days (0: off)</label>
        <input
          id={ids.inactivity}
          type="text"
          inputMode="numeric"
          autoComplete="off"
          aria-describedby={ids.hint}
          value={draft.inactivityDays}
          onChange={(e) => onChange({ ...draft, inactivityDays: e.target.value })}
        />
        <p className="hint" id={ids.hint}>
          Whole days from 0 to {MAX_INACTIVITY.toLocaleString()}.
        </p>
      </div>
    </>
  )
}
