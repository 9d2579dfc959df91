import { type FormEvent, useEffect, useId, useState } from 'react'
import { AUDIT_EVENT_NAMES, AUDIT_EVENTS, auditEventByLabel } from '../../../src/audit/events.ts'
import {
  AUDIT_OUTCOMES,
  type AuditEvent,
  type AuditOutcome,
  type AuditQuery,
  type Paged,
  queryString,
} from '../api.ts'
import { AuditTable, Pager } from '../components/AuditTable.tsx'
import { EmptyState, ErrorMessage, FieldError, Loading } from '../components/ui.tsx'
import { useSignedIn } from '../context.ts'
import { OUTCOME_LABEL } from '../format.ts'
import { type Loaded, useLoad } from '../hooks.ts'
import { paths, replacePath, useSearch } from '../router.ts'

const PAGE_SIZE = 50
const DAY = /^\d{4}-\d{2}-\d{2}$/
/** The audit log's hash of a username no user has (failed logins). */
const HASH = /^[0-9a-f]{16}$/

/** The filters as the address holds them: days are the reader's own calendar days. */
interface Filters {
  username: string
  /** Failed logins under one unknown username (the address calls it username_hash). */
  usernameHash: string
  action: string
  outcome: AuditOutcome | ''
  from: string
  to: string
  page: number
}

function readFilters(search: string): Filters {
  const q = new URLSearchParams(search)
  const outcome = q.get('outcome') ?? ''
  const page = Number(q.get('page') ?? '0')
  const day = (v: string | null) => (v && DAY.test(v) ? v : '')
  return {
    username: q.get('username') ?? '',
    usernameHash: HASH.test(q.get('username_hash') ?? '') ? (q.get('username_hash') as string) : '',
    action: q.get('action') ?? '',
    outcome: (AUDIT_OUTCOMES as readonly string[]).includes(outcome)
      ? (outcome as AuditOutcome)
      : '',
    from: day(q.get('from')),
    to: day(q.get('to')),
    page: Number.isInteger(page) && page > 0 ? page : 0,
  }
}

function address(f: Filters): string {
  const { usernameHash, ...rest } = f
  return `${paths.audit}${queryString({ ...rest, username_hash: usernameHash, page: f.page || undefined })}`
}

/** Local midnight at the start of a YYYY-MM-DD day, plus `days`, as an instant. */
function localMidnight(day: string, days = 0): string {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number]
  return new Date(y, m - 1, d + days).toISOString()
}

/** What the server is asked: "to" includes the whole of its day. */
function toQuery(f: Filters): AuditQuery {
  return {
    username: f.username || undefined,
    username_hash: f.usernameHash || undefined,
    action: f.action || undefined,
    outcome: f.outcome || undefined,
    from: f.from ? localMidnight(f.from) : undefined,
    to: f.to ? localMidnight(f.to, 1) : undefined,
    page: f.page,
    size: PAGE_SIZE,
  }
}

/** A typed plain-words action ("Roles granted") becomes its event ("user.roleGranted"). */
function actionId(text: string): string {
  return auditEventByLabel(text) ?? text.trim()
}

/** The administrators' view of the audit log: everyone's events, filtered and paged. */
type FieldErrors = Partial<Record<keyof Filters, string>>

/** What is wrong with filters about to be applied, by field. */
function filterErrors(next: Filters): FieldErrors {
  const found: FieldErrors = {}
  if (next.usernameHash && !HASH.test(next.usernameHash))
    found.usernameHash =
      'A name hash is 16 characters, 0-9 and a-f: follow "Attempts with the same name" on a failed login.'
  if (next.from && next.to && next.to < next.from)
    found.to = 'The end date is before the start date.'
  if (next.action && !/^[A-Za-z0-9:._-]+$/.test(next.action))
    found.action = 'Pick an action from the list, or type its name (like user.roleGranted).'
  return found
}

function isFiltered(f: Filters): boolean {
  return Boolean(f.username || f.usernameHash || f.action || f.outcome || f.from || f.to)
}

export function Audit() {
  const { api } = useSignedIn()
  const search = useSearch()
  const applied = readFilters(search)
  const events = useLoad(() => api.auditEvents(toQuery(readFilters(search))), [api, search])
  const filtered = isFiltered(applied)

  return (
    <main className="page" id="main">
      <div className="page-head">
        <div>
          <h1>Audit</h1>
          <p className="section-text">
            Logins, token changes, permission denials and every change, newest first. Passwords and
            tokens are never recorded, nor names tried at login that no user has (only a hash of
            each). Repeated failures from one address are counted in one line.
          </p>
        </div>
      </div>
      <AuditFilters search={search} filtered={filtered} />
      <AuditResults events={events} applied={applied} filtered={filtered} />
    </main>
  )
}

interface FilterFormProps {
  draft: Filters
  setDraft(next: Filters): void
  fieldErrors: FieldErrors
}

/** The filter form: a draft of the address's filters, applied by replacing the address. */
function AuditFilters(props: { search: string; filtered: boolean }) {
  const [draft, setDraft] = useState<Filters>(readFilters(props.search))
  const [fieldErrors, setFieldErrors] = useState<FieldErrors>({})

  // The address is the truth: shared links and reloads land on the same view.
  useEffect(() => {
    setDraft(readFilters(props.search))
    setFieldErrors({})
  }, [props.search])

  async function apply(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    const next = {
      ...draft,
      usernameHash: draft.usernameHash.trim().toLowerCase(),
      action: actionId(draft.action),
      page: 0,
    }
    const found = filterErrors(next)
    setFieldErrors(found)
    if (Object.keys(found).length > 0) return
    replacePath(address(next))
  }

  function clear() {
    setFieldErrors({})
    replacePath(paths.audit)
  }

  const form = { draft, setDraft, fieldErrors }
  return (
    <section className="card" aria-labelledby="audit-filters">
      <h2 id="audit-filters" className="visually-hidden">
        Filters
      </h2>
      <form className="filters" aria-label="Filter the audit log" noValidate onSubmit={apply}>
        <WhoFilters {...form} />
        <ActionFilter {...form} />
        <OutcomeFilter {...form} />
        <DateFilters {...form} />
        <div className="filters-actions">
          <button type="submit" className="button button-primary">
            Apply filters
          </button>
          <button type="button" className="button" onClick={clear} disabled={!props.filtered}>
            Clear
          </button>
        </div>
      </form>
    </section>
  )
}

function WhoFilters({ draft, setDraft, fieldErrors }: FilterFormProps) {
  const ids = { user: useId(), hash: useId(), hashError: useId() }
  return (
    <>
      <div className="field">
        <label htmlFor={ids.user}>User</label>
        <input
          id={ids.user}
          value={draft.username}
          autoComplete="off"
          autoCapitalize="none"
          spellCheck={false}
          placeholder="Anyone"
          onChange={(e) => setDraft({ ...draft, username: e.target.value })}
        />
      </div>
      <div className="field">
        <label htmlFor={ids.hash}>Unknown name (hash)</label>
        <input
          id={ids.hash}
          value={draft.usernameHash}
          autoComplete="off"
          autoCapitalize="none"
          spellCheck={false}
          placeholder="Any"
          aria-invalid={fieldErrors.usernameHash ? true : undefined}
          aria-describedby={fieldErrors.usernameHash ? ids.hashError : undefined}
          onChange={(e) => setDraft({ ...draft, usernameHash: e.target.value })}
        />
        <FieldError id={ids.hashError} message={fieldErrors.usernameHash} />
      </div>
    </>
  )
}

function ActionFilter({ draft, setDraft, fieldErrors }: FilterFormProps) {
  const ids = { action: useId(), actions: useId(), actionError: useId() }
  return (
    <div className="field">
      <label htmlFor={ids.action}>Action</label>
      <input
        id={ids.action}
        list={ids.actions}
        value={draft.action}
        autoComplete="off"
        spellCheck={false}
        placeholder="Any"
        aria-invalid={fieldErrors.action ? true : undefined}
        aria-describedby={fieldErrors.action ? ids.actionError : undefined}
        onChange={(e) => setDraft({ ...draft, action: e.target.value })}
      />
      <datalist id={ids.actions}>
        {AUDIT_EVENT_NAMES.map((name) => (
          <option key={name} value={name} label={AUDIT_EVENTS[name].label} />
        ))}
      </datalist>
      <FieldError id={ids.actionError} message={fieldErrors.action} />
    </div>
  )
}

function OutcomeFilter({ draft, setDraft }: FilterFormProps) {
  const id = useId()
  return (
    <div className="field">
      <label htmlFor={id}>Outcome</label>
      <select
        id={id}
        value={draft.outcome}
        onChange={(e) => setDraft({ ...draft, outcome: e.target.value as Filters['outcome'] })}
      >
        <option value="">Any</option>
        {AUDIT_OUTCOMES.map((o) => (
          <option key={o} value={o}>
            {OUTCOME_LABEL[o]}
          </option>
        ))}
      </select>
    </div>
  )
}

function DateFilters({ draft, setDraft, fieldErrors }: FilterFormProps) {
  const ids = { from: useId(), to: useId(), toError: useId() }
  return (
    <>
      <div className="field">
        <label htmlFor={ids.from}>From</label>
        <input
          id={ids.from}
          type="date"
          value={draft.from}
          onChange={(e) => setDraft({ ...draft, from: e.target.value })}
        />
      </div>
      <div className="field">
        <label htmlFor={ids.to}>To</label>
        <input
          id={ids.to}
          type="date"
          value={draft.to}
          aria-invalid={fieldErrors.to ? true : undefined}
          aria-describedby={fieldErrors.to ? ids.toError : undefined}
          onChange={(e) => setDraft({ ...draft, to: e.target.value })}
        />
        <FieldError id={ids.toError} message={fieldErrors.to} />
      </div>
    </>
  )
}

function AuditResults(props: {
  events: Loaded<Paged<AuditEvent>>
  applied: Filters
  filtered: boolean
}) {
  const { events, applied, filtered } = props
  const list = events.data?.resultList ?? []
  return (
    <section className="card card-flush" aria-label="Audit events">
      <ErrorMessage>{events.error}</ErrorMessage>
      {events.loading && !events.data ? (
        <Loading />
      ) : list.length === 0 && applied.page === 0 && !events.error ? (
        <EmptyState title={filtered ? 'No events match these filters' : 'No events yet'}>
          {filtered ? 'Widen the time window or clear a filter.' : null}
        </EmptyState>
      ) : events.data ? (
        <>
          <AuditTable events={list} caption="Audit events" showActor={true} />
          <Pager
            label="Pages of the audit log"
            page={applied.page}
            size={PAGE_SIZE}
            shown={list.length}
            total={events.data.totalCount}
            exact={events.data.totalCountExact}
            onPage={(page) => replacePath(address({ ...applied, page }))}
          />
        </>
      ) : null}
    </section>
  )
}
