import type { AuditSink } from '../../audit/audit.recorder.ts'
import type { Channel, Notice, Notifier } from '../../notifications/notifier.ts'

/**
 * Sends a notice about one token through every configured channel, and records each
 * channel that failed (notification.failed), so an administrator sees why an owner was
 * never told. Answers the channels that took it. Shared by expiry reminders and canary
 * alerts: one place decides what a failed delivery leaves behind.
 */
export async function deliverTokenNotice(
  deps: { notifier: Notifier; audit: AuditSink },
  tokenId: string,
  notice: Notice,
): Promise<Channel[]> {
  const deliveries = await deps.notifier.deliver(notice)
  for (const failed of deliveries.filter((d) => !d.delivered)) {
    deps.audit.record(
      'notification.failed',
      { event: notice.event, tokenId, channel: failed.channel, detail: failed.detail },
      { outcome: 'failure' },
    )
  }
  return deliveries.filter((d) => d.delivered).map((d) => d.channel)
}
