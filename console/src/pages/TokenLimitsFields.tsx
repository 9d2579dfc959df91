import { useId } from 'react'
import type { TokenLimitsInput } from '../api.ts'

/** The optional limits as typed: comma- or space-separated lists, and the read-only box. */
export interface LimitsDraft {
  roles: string
  projects: string
  readOnly: boolean
  allowFrom: string
}

export const NO_LIMITS: LimitsDraft = { roles: '', projects: '', readOnly: false, allowFrom: '' }

const items = (text: string) => text.split(/[\s,]+/).filter((s) => s !== '')

/** What the server is sent: only the parts that were filled in. */
export function limitsInput(draft: LimitsDraft): TokenLimitsInput {
  const input: TokenLimitsInput = {}
  if (items(draft.roles).length > 0) input.roles = items(draft.roles)
  if (items(draft.projects).length > 0) input.projects = items(draft.projects)
  if (draft.readOnly) input.readOnly = true
  if (items(draft.allowFrom).length > 0) input.allowFrom = items(draft.allowFrom)
  return input
}

/**
 * Narrower tokens, all optional: left empty, the token has everything its owner has.
 * A token can only be narrower than its owner; the server names what it refuses.
 */
export function TokenLimitsFields(props: { draft: LimitsDraft; onChange(d: LimitsDraft): void }) {
  const { draft, onChange } = props
  const ids = { roles: useId(), projects: useId(), allowFrom: useId(), hint: useId() }
  return (
    <fieldset className="field">
      <legend>Limits (optional)</legend>
      <p className="hint" id={ids.hint}>
        Leave empty for everything you can do. Separate several with commas.
      </p>
      <label htmlFor={ids.roles}>Only these roles</label>
      <input
        id={ids.roles}
        value={draft.roles}
        placeholder="e.g. ROLE_MANAGE_PROXIES"
        aria-describedby={ids.hint}
        onChange={(e) => onChange({ ...draft, roles: e.target.value })}
      />
      <label htmlFor={ids.projects}>Only these projects</label>
      <input
        id={ids.projects}
        value={draft.projects}
        placeholder="e.g. shop, billing"
        onChange={(e) => onChange({ ...draft, projects: e.target.value })}
      />
      <label htmlFor={ids.allowFrom}>Only from these addresses</label>
      <input
        id={ids.allowFrom}
        value={draft.allowFrom}
        placeholder="e.g. 10.0.0.0/8, 2001:db8::/32"
        onChange={(e) => onChange({ ...draft, allowFrom: e.target.value })}
      />
      <label className="choice">
        <input
          type="checkbox"
          checked={draft.readOnly}
          onChange={(e) => onChange({ ...draft, readOnly: e.target.checked })}
        />
        Read-only (GET and HEAD only)
      </label>
    </fieldset>
  )
}
