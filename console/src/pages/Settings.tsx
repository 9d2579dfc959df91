import { type FormEvent, useEffect, useId, useRef, useState } from 'react'
import { ApiError, messageOf, type SettingView } from '../api.ts'
import { ErrorMessage, Loading, Notice } from '../components/ui.tsx'
import { useSignedIn } from '../context.ts'
import { useLoad } from '../hooks.ts'
import { NotificationSettings } from './NotificationSettings.tsx'
import { SetBy, TokenPolicySettings } from './TokenPolicySettings.tsx'

/** What the server accepts for tokenRateLimit (src/settings/settings.service.ts). */
const MAX_RATE = 1_000_000

/** "No limit" for 0, else "5 requests per minute", in the reader's number format. */
function describeRate(perMinute: number): string {
  if (perMinute === 0) return 'No limit (0)'
  return `${perMinute.toLocaleString()} ${perMinute === 1 ? 'request' : 'requests'} per minute`
}

/** The confirmation's second sentence: what applies now. */
function inForce(perMinute: number): string {
  if (perMinute === 0) return 'API tokens have no rate limit, from the next request on.'
  return `Each API token may make ${describeRate(perMinute)}, from the next request on.`
}

/** The typed limit as a whole number, or the sentence that says what is wrong with it. */
function parseRate(text: string): { value: number } | { error: string } {
  const typed = text.trim()
  const range = `from 0 to ${MAX_RATE.toLocaleString()}`
  if (typed === '') return { error: `Enter a whole number ${range} (0 for no limit).` }
  if (/^-\s*\d/.test(typed)) {
    return { error: `The limit cannot be negative: enter a whole number ${range}.` }
  }
  // "1.5", and "1,5" as many locales write it (but "1,000" is a thousands separator).
  if (/^\d*\.\d+$|^\d+,\d{1,2}$/.test(typed)) {
    return { error: `The limit must be a whole number, without decimals: ${range}.` }
  }
  if (!/^\d+$/.test(typed)) {
    return { error: `Use digits only, without spaces or separators: ${range}.` }
  }
  const value = Number(typed)
  if (value > MAX_RATE) {
    return { error: `The limit can be at most ${MAX_RATE.toLocaleString()} requests per minute.` }
  }
  return { value }
}

/** The administrators' runtime settings: today, the per-token request rate limit. */
export function Settings() {
  const form = useRateLimitForm()
  const { rate, settings } = form

  return (
    <main className="page" id="main">
      <div className="page-head">
        <div>
          <h1>Settings</h1>
          <p className="section-text">
            Runtime settings, in force on every node of the server at once, without a restart.
          </p>
        </div>
      </div>
      <Notice>{form.notice}</Notice>
      <ErrorMessage>{form.error}</ErrorMessage>
      <section className="card" aria-labelledby="rate-limit-heading">
        <h2 id="rate-limit-heading">API token rate limit</h2>
        <p className="section-text">
          How many requests each API token may make per minute. Beyond it, the API answers 429 Too
          Many Requests with a Retry-After header. Console sessions are not limited.
        </p>
        <ErrorMessage>{settings.error}</ErrorMessage>
        {settings.loading && !rate ? (
          <Loading />
        ) : rate ? (
          <>
            <RateDetails rate={rate} />
            <RateLimitForm form={form} rate={rate} />
          </>
        ) : null}
      </section>
      <TokenPolicySettings settings={settings} />
      <NotificationSettings settings={settings} />
    </main>
  )
}

type RateLimitState = ReturnType<typeof useRateLimitForm>

/** The limit in force, the typed draft, and saving or resetting it. */
function useRateLimitForm() {
  const { api } = useSignedIn()
  const settings = useLoad(() => api.settings(), [api])
  const [draft, setDraft] = useState('')
  const [fieldError, setFieldError] = useState<string | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [notice, setNotice] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  const inputRef = useRef<HTMLInputElement>(null)
  const rate = settings.data?.tokenRateLimit

  // The field starts from the value in force, and follows it after each change.
  useEffect(() => {
    if (rate) setDraft(String(rate.value))
  }, [rate])

  /** PATCH the limit (null: back to the default); true when the server took it. */
  async function change(value: number | null): Promise<boolean> {
    setBusy(true)
    setNotice(null)
    setError(null)
    setFieldError(null)
    try {
      const now = (await api.updateSettings({ tokenRateLimit: value })).tokenRateLimit
      await settings.reload()
      setNotice(
        value === null
          ? `Back to the server default. ${inForce(now.value)}`
          : `Saved. ${inForce(now.value)}`,
      )
      return true
    } catch (e) {
      // A refused value belongs to the field; anything else to the page.
      if (e instanceof ApiError && e.status === 400) setFieldError(messageOf(e))
      else setError(messageOf(e))
      return false
    } finally {
      setBusy(false)
    }
  }

  async function save(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    setNotice(null)
    const parsed = parseRate(draft)
    if ('error' in parsed) {
      setFieldError(parsed.error)
      inputRef.current?.focus()
      return
    }
    await change(parsed.value)
  }

  async function reset() {
    // The Reset button goes away once it worked: keep keyboard focus in the form.
    if (await change(null)) inputRef.current?.focus()
  }

  function edit(text: string) {
    setDraft(text)
    setFieldError(null)
  }

  return { settings, rate, draft, edit, fieldError, error, notice, busy, inputRef, save, reset }
}

function RateDetails(props: { rate: SettingView }) {
  const { rate } = props
  return (
    <dl className="details">
      <div>
        <dt>In force</dt>
        <dd>{describeRate(rate.value)}</dd>
      </div>
      <div>
        <dt>Source</dt>
        <dd>
          <SetBy setting={rate}>
            The server default, from <span className="mono">APIOPS_TOKEN_RATE_LIMIT</span>
          </SetBy>
        </dd>
      </div>
      <div>
        <dt>Default</dt>
        <dd>{describeRate(rate.default)}</dd>
      </div>
    </dl>
  )
}

function RateLimitForm(props: { form: RateLimitState; rate: SettingView }) {
  const { form, rate } = props
  const { fieldError, busy } = form
  const ids = { heading: useId(), input: useId(), hint: useId(), error: useId() }
  return (
    <>
      <h3 id={ids.heading} className="minor">
        Change the limit
      </h3>
      <form
        className="form inline-form"
        aria-labelledby={ids.heading}
        onSubmit={form.save}
        noValidate
      >
        <div className="field">
          <label htmlFor={ids.input}>Requests per minute per API token, 0 for no limit</label>
          <div className="inline-field">
            <input
              ref={form.inputRef}
              id={ids.input}
              type="text"
              inputMode="numeric"
              autoComplete="off"
              spellCheck={false}
              value={form.draft}
              aria-invalid={fieldError ? true : undefined}
              aria-describedby={fieldError ? `${ids.error} ${ids.hint}` : ids.hint}
              onChange={(e) => form.edit(e.target.value)}
            />
            <button type="submit" className="button button-primary" disabled={busy}>
              Save
            </button>
            {rate.source === 'administrator' ? (
              <button type="button" className="button" disabled={busy} onClick={form.reset}>
                Reset to default
              </button>
            ) : null}
          </div>
          {fieldError ? (
            <p className="field-error" id={ids.error} role="alert">
              {fieldError}
            </p>
          ) : null}
          <p className="hint" id={ids.hint}>
            A whole number from 0 to {MAX_RATE.toLocaleString()}.
            {rate.source === 'administrator'
              ? ' Reset to default returns to the server default shown above.'
              : null}
          </p>
        </div>
      </form>
    </>
  )
}
