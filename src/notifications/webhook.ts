import { createHmac } from 'node:crypto'
import { Agent, request } from 'undici'
import { checkedLiteral, pinnedLookup } from '../outbound-connect.ts'
import type { OutboundNet } from './email.ts'

/**
 * `t=<unix seconds>,v1=<hex HMAC-SHA-256 of "<t>.<body>">`: the time is signed with the
 * body, so a receiver can refuse a delivery replayed later (as Stripe's scheme does).
 */
export function webhookSignature(secret: string, body: string, atMs: number): string {
  const t = Math.floor(atMs / 1000)
  const mac = createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')
  return `t=${t},v1=${mac}`
}

/**
 * POSTs one JSON delivery; resolves only on a 2xx answer. No redirect is followed: the
 * URL the administrator gave is the only place a delivery goes.
 */
export async function postWebhook(
  delivery: { url: string; secret: string | null; body: string; event: string; id: string },
  net: OutboundNet,
  nowMs: number,
): Promise<void> {
  const url = new URL(delivery.url)
  checkedLiteral(url.hostname, net.allowlist)
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': 'apiops-webhook/1',
    'x-apiops-event': delivery.event,
    'x-apiops-delivery': delivery.id,
  }
  if (delivery.secret !== null) {
    headers['x-apiops-signature'] = webhookSignature(delivery.secret, delivery.body, nowMs)
  }
  const agent = new Agent({
    connect: { lookup: pinnedLookup(net.allowlist, net.resolve) },
    connections: 1,
  })
  try {
    const response = await request(url, {
      method: 'POST',
      dispatcher: agent,
      headers,
      body: delivery.body,
      signal: AbortSignal.timeout(net.timeoutMs),
    })
    await response.body.dump()
    if (response.statusCode < 200 || response.statusCode > 299) {
      throw new Error(`the webhook answered HTTP ${response.statusCode}`)
    }
  } finally {
    void agent.destroy()
  }
}
