import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { SMTPServer } from 'smtp-server'

/** What the tests' local SMTP sink received: envelope and the headers and text read back. */
export interface SunkMail {
  from: string
  to: string[]
  subject: string
  text: string
  user: string | null
}

/** RFC 2047 encoded words (=?UTF-8?Q?...?=), as nodemailer writes a subject with quotes. */
function decodeWords(header: string): string {
  const bytes = (q: string) =>
    q
      .replace(/_/g, ' ')
      .replace(/=([0-9A-F]{2})/gi, (_, h: string) => String.fromCharCode(Number.parseInt(h, 16)))
  return header
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?UTF-8\?Q\?(.*?)\?=/gi, (_, q: string) =>
      Buffer.from(bytes(q), 'latin1').toString('utf8'),
    )
}

/** Undoes header folding and quoted-printable soft breaks, enough to read a plain mail. */
function readMail(raw: string): { subject: string; text: string } {
  const [head = '', ...body] = raw.split(/\r?\n\r?\n/)
  const unfolded = head.replace(/\r?\n[ \t]+/g, ' ')
  const subject = decodeWords(/^Subject: (.*)$/im.exec(unfolded)?.[1] ?? '')
  const text = body
    .join('\n\n')
    .replace(/=\r?\n/g, '')
    .replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)))
  return { subject, text }
}

/** A local SMTP server that keeps every message; never a real mail host. */
export async function smtpSink(options: { user?: string; password?: string } = {}) {
  const mails: SunkMail[] = []
  const server = new SMTPServer({
    secure: false,
    disabledCommands: options.user ? ['STARTTLS'] : ['STARTTLS', 'AUTH'],
    allowInsecureAuth: true,
    authOptional: !options.user,
    logger: false,
    onAuth(auth, _session, callback) {
      if (auth.username === options.user && auth.password === options.password) {
        callback(null, { user: auth.username })
      } else callback(new Error('Invalid username or password'))
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = []
      stream.on('data', (c: Buffer) => chunks.push(c))
      stream.on('end', () => {
        mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          ...readMail(Buffer.concat(chunks).toString('utf8')),
          user: (session.user as string | undefined) ?? null,
        })
        callback()
      })
    },
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.server.address() as AddressInfo).port
  return {
    port,
    mails,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

export interface Hook {
  headers: IncomingHttpHeaders
  body: string
  json: { event: string; data: Record<string, unknown>; recipient: string; subject: string }
}

/** A local webhook receiver; `status` says what it answers (200 unless a test changes it). */
export async function webhookSink() {
  const hooks: Hook[] = []
  const state = { status: 200 }
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8')
      hooks.push({ headers: req.headers, body, json: JSON.parse(body) })
      res.statusCode = state.status
      res.end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  return {
    url: `http://127.0.0.1:${port}/hooks/T0001/B0002/s3cr3tpath`,
    hooks,
    state,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
