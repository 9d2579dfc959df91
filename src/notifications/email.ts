import nodemailer from 'nodemailer'
import { ipLiteral, type OutboundAllowlist } from '../outbound-address.ts'
import { allowedAddress, type HostResolver } from '../outbound-connect.ts'
import type { StoredEmail } from './notification-settings.ts'

export interface OutboundNet {
  allowlist: OutboundAllowlist
  resolve: HostResolver
  timeoutMs: number
}

export interface Mail {
  to: string
  subject: string
  text: string
}

/**
 * Sends one mail through the administrator's relay. The relay's name is resolved and
 * checked here, and the connection goes to that address (the name still verifies its
 * TLS certificate), so a name that later points inside the network reaches nothing.
 */
export async function sendMail(
  relay: StoredEmail,
  password: string | null,
  mail: Mail,
  net: OutboundNet,
): Promise<void> {
  const { address } = await allowedAddress(relay.host, net.allowlist, net.resolve)
  const literal = ipLiteral(relay.host)
  const transport = nodemailer.createTransport({
    host: address,
    port: relay.port,
    secure: relay.security === 'tls',
    requireTLS: relay.security === 'starttls',
    ignoreTLS: relay.security === 'none',
    tls: { servername: literal === undefined ? relay.host : undefined },
    auth: relay.username ? { user: relay.username, pass: password ?? '' } : undefined,
    connectionTimeout: net.timeoutMs,
    greetingTimeout: net.timeoutMs,
    socketTimeout: net.timeoutMs,
    disableFileAccess: true,
    disableUrlAccess: true,
  })
  try {
    await transport.sendMail({
      from: relay.from,
      to: mail.to,
      subject: mail.subject,
      text: mail.text,
    })
  } finally {
    transport.close()
  }
}
