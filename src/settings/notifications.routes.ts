import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { Kysely } from 'kysely'
import { audited } from '../audit/audit.hook.ts'
import type { AuditSink } from '../audit/audit.recorder.ts'
import type { Database } from '../db/schema.ts'
import { errors } from '../errors.ts'
import { errorResponses } from '../http/schemas.ts'
import { principalOf } from '../identity/bearer/auth.hook.ts'
import { findUserById } from '../identity/users/users.repository.ts'
import type { Channel, Delivery, Notifier } from '../notifications/notifier.ts'
import { NotificationTestBody, NotificationTestResult } from './notifications.schemas.ts'

export interface NotificationTestDeps {
  db: Kysely<Database>
  notifier: Notifier
  audit: AuditSink
}

/**
 * Sends a test notice through one channel, to the administrator asking (their own
 * address), so a relay or webhook can be proved before a reminder depends on it.
 */
export async function sendTestNotice(
  deps: NotificationTestDeps,
  channel: Channel,
  asker: { userId: string; username: string },
): Promise<Delivery> {
  if (!deps.notifier.channels().includes(channel)) {
    throw errors.validationFailed([
      { field: 'channel', message: `no ${channel} channel is set: set notifications.${channel}` },
    ])
  }
  const user = await findUserById(deps.db, asker.userId)
  const [delivery] = await deps.notifier.deliver(
    {
      event: 'notification.test',
      recipient: { username: asker.username, email: user?.email ?? null },
      subject: 'apiops: test notification',
      text: `${asker.username} asked apiops to send this test. Expiry reminders and canary alerts arrive this way.`,
      data: { requestedBy: asker.username },
    },
    channel,
  )
  const result = delivery as Delivery
  deps.audit.record(
    'notification.tested',
    { channel, delivered: result.delivered, detail: result.detail },
    { outcome: result.delivered ? 'success' : 'failure' },
  )
  return result
}

export const notificationRoutes: FastifyPluginAsyncTypebox<{ deps: NotificationTestDeps }> = async (
  app,
  { deps },
) => {
  app.post(
    '/apiops/settings/notifications/test/',
    {
      config: { action: 'administer' },
      schema: {
        operationId: 'testNotification',
        tags: ['settings'],
        summary: 'Send a test notice through one channel to your own address',
        body: NotificationTestBody,
        response: {
          200: NotificationTestResult,
          ...errorResponses(400, 413, 415),
          ...errorResponses(401, 403),
        },
      },
    },
    async (request) =>
      sendTestNotice(audited(request, deps), request.body.channel, principalOf(request)),
  )
}
