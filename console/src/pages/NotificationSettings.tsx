import { type FormEvent, useEffect, useId, useState } from 'react'
import { messageOf, type RuntimeSettings } from '../api.ts'
import { ConfirmDialog, type ConfirmRequest } from '../components/Dialog.tsx'
import { ErrorMessage, Notice } from '../components/ui.tsx'
import { useSignedIn } from '../context.ts'
import type { Loaded } from '../hooks.ts'
import {
  CHANNEL_LABEL,
  type Channel,
  type NotificationChannels,
  type NotificationsChange,
  type NotificationsSettingView,
  SECURITY_LABEL,
  WEBHOOK_SECRET_MIN,
  type WebhookChannelView,
} from '../notifications.ts'
import { ChannelButtons, EmailChannelForm, TextField } from './EmailChannelForm.tsx'
import { SetBy } from './TokenPolicySettings.tsx'

/*
 * The administrators' notification channels: where expiry reminders and canary alerts
 * go. Passwords and secrets are write-only: the page says whether one is set, and offers
 * a field to replace it.
 */

export type NotificationActions = ReturnType<typeof useNotificationActions>

/** Saving, testing and removing channels, with one notice and one error for the section. */
function useNotificationActions(settings: Loaded<RuntimeSettings>) {
  const { api } = useSignedIn()
  const [notice, setNotice] = useState<string | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  const [confirm, setConfirm] = useState<ConfirmRequest | null>(null)

  async function run(work: () => Promise<void>) {
    setBusy(true)
    setError(null)
    setNotice(null)
    try {
      await work()
    } catch (e) {
      setError(messageOf(e))
    } finally {
      setBusy(false)
    }
  }

  async function change(value: NotificationsChange, done: string) {
    await api.updateSettings({ notifications: value })
    await settings.reload()
    setNotice(done)
  }

  const save = (value: NotificationsChange, done: string) => run(() => change(value, done))

  const test = (channel: Channel) =>
    run(async () => {
      const result = await api.testNotification(channel)
      const words = `${channel === 'email' ? 'Test email' : 'Test webhook'}: ${result.detail}.`
      if (result.delivered) setNotice(words)
      else setError(words)
    })

  function ask(
    words: { title: string; message: string; confirmLabel: string; done: string },
    value: NotificationsChange,
  ) {
    setNotice(null)
    setConfirm({
      ...words,
      message: <p>{words.message}</p>,
      action: () => change(value, words.done),
    })
  }

  const askRemove = (channel: Channel) =>
    ask(
      {
        title: `Remove the ${CHANNEL_LABEL[channel].toLowerCase()} channel?`,
        message: `Expiry reminders and canary alerts stop going by ${channel}. Its settings, password or secret included, are deleted.`,
        confirmLabel: `Remove ${channel}`,
        done: `The ${channel} channel was removed.`,
      },
      { [channel]: null },
    )

  const askReset = () =>
    ask(
      {
        title: 'Remove every notification channel?',
        message: 'Expiry reminders and canary alerts then go nowhere but the audit log.',
        confirmLabel: 'Remove all channels',
        done: 'Every notification channel was removed.',
      },
      null,
    )

  return { notice, error, busy, confirm, setConfirm, save, test, askRemove, askReset }
}

/** The channels in force, in words. */
function ChannelSummary(props: { setting: NotificationsSettingView }) {
  const { email, webhook }: NotificationChannels = props.setting.value
  const login = email?.username ? `login ${email.username}` : 'no login'
  return (
    <dl className="details">
      <div>
        <dt>Email</dt>
        <dd>
          {email
            ? `${email.host}:${email.port}, ${SECURITY_LABEL[email.security]}, ${login}, password ${email.passwordSet ? 'set' : 'not set'}, from ${email.from}`
            : 'Not configured'}
        </dd>
      </div>
      <div>
        <dt>Webhook</dt>
        <dd className="break">
          {webhook
            ? `${webhook.url}, secret ${webhook.secretSet ? 'set' : 'not set'}`
            : 'Not configured'}
        </dd>
      </div>
      <div>
        <dt>Source</dt>
        <dd>
          <SetBy setting={props.setting}>No channel: the default</SetBy>
        </dd>
      </div>
    </dl>
  )
}

export function NotificationSettings(props: { settings: Loaded<RuntimeSettings> }) {
  const setting = props.settings.data?.notifications
  const actions = useNotificationActions(props.settings)
  return (
    <section className="card" aria-labelledby="notifications-heading">
      <h2 id="notifications-heading">Notifications</h2>
      <p className="section-text">
        Where token expiry reminders and canary token alerts go: by email through an SMTP server, to
        a webhook, or both. A test message shows whether a channel works; a test email goes to your
        own email address.
      </p>
      <Notice>{actions.notice}</Notice>
      <ErrorMessage>{actions.error}</ErrorMessage>
      {setting ? (
        <>
          <ChannelSummary setting={setting} />
          <EmailChannelForm view={setting.value.email} actions={actions} />
          <WebhookForm view={setting.value.webhook} actions={actions} />
          {setting.source === 'administrator' ? (
            <div className="modal-actions">
              <button
                type="button"
                className="button"
                disabled={actions.busy}
                onClick={actions.askReset}
              >
                Remove all channels
              </button>
            </div>
          ) : null}
        </>
      ) : props.settings.data ? (
        <p className="muted">This server does not offer notification settings yet.</p>
      ) : null}
      <ConfirmDialog request={actions.confirm} onDone={() => actions.setConfirm(null)} />
    </section>
  )
}

/** What is wrong with a typed webhook, field by field; null when nothing is. */
function webhookProblem(url: string, secret: string) {
  if (!/^https?:\/\/\S+$/.test(url)) {
    return { field: 'url', error: 'Enter the address to call, starting with https:// or http://.' }
  }
  if (secret && secret.length < WEBHOOK_SECRET_MIN) {
    return {
      field: 'secret',
      error: `Use at least ${WEBHOOK_SECRET_MIN} characters for the signing secret.`,
    }
  }
  return null
}

/** The webhook: a URL, and a secret that signs each call (write-only). */
function WebhookForm(props: { view: WebhookChannelView | null; actions: NotificationActions }) {
  const { view, actions } = props
  const [url, setUrl] = useState(view?.url ?? '')
  const [secret, setSecret] = useState('')
  const [errors, setErrors] = useState<{ url?: string; secret?: string }>({})
  const id = useId()

  useEffect(() => {
    setUrl(view?.url ?? '')
    setSecret('')
  }, [view])

  async function save(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    const typed = url.trim()
    const problem = webhookProblem(typed, secret)
    setErrors(problem ? { [problem.field]: problem.error } : {})
    if (problem) return document.getElementById(`${id}-${problem.field}`)?.focus()
    await actions.save(
      { webhook: { url: typed, ...(secret ? { secret } : {}) } },
      'Saved the webhook.',
    )
  }

  return (
    <form className="form" onSubmit={save} noValidate aria-labelledby={`${id}-heading`}>
      <h3 id={`${id}-heading`} className="minor">
        Webhook
      </h3>
      <TextField
        id={`${id}-url`}
        label="Webhook URL"
        type="url"
        value={url}
        onChange={setUrl}
        error={errors.url}
        hint={
          view
            ? 'The URL in force is a credential: only its origin is shown, the rest masked. Leave it as it is to keep that URL, or enter a new one.'
            : undefined
        }
      />
      <TextField
        id={`${id}-secret`}
        label={view?.secretSet ? 'New signing secret' : 'Signing secret'}
        type="password"
        value={secret}
        onChange={setSecret}
        error={errors.secret}
        hint={
          view?.secretSet
            ? 'A secret is set; it is never shown. Leave this empty to keep it.'
            : `No secret is set: calls are not signed. At least ${WEBHOOK_SECRET_MIN} characters.`
        }
      />
      <ChannelButtons channel="webhook" configured={view !== null} actions={actions} />
    </form>
  )
}
