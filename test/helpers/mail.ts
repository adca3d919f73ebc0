// A real SMTP server in the test process (smtp-server, nodemailer's sibling) that keeps what it receives,
// and a local HTTP server standing in for Slack's incoming webhooks.
import { once } from 'node:events'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { SMTPServer } from 'smtp-server'

export interface ReceivedMail { to: string[], raw: string, subject: string, text: string, html: string }

// Quoted-printable and base64 bodies, as nodemailer writes long lines and non-ASCII text.
function decodePart (headers: string, body: string): string {
  const encoding = /content-transfer-encoding:\s*([\w-]+)/i.exec(headers)?.[1]?.toLowerCase()
  if (encoding === 'base64') return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8')
  if (encoding === 'quoted-printable') {
    const bytes = body.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/gi, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)))
    return Buffer.from(bytes, 'latin1').toString('utf8')
  }
  return body
}

/** The text/plain and text/html parts of a multipart/alternative message. */
export function parseMail (raw: string, to: string[]): ReceivedMail {
  const split = raw.indexOf('\r\n\r\n')
  const head = raw.slice(0, split).replace(/\r\n[ \t]+/g, ' ')
  const subject = /^subject: (.*)$/im.exec(head)?.[1] ?? ''
  const boundary = /boundary="?([^";\r\n]+)"?/i.exec(head)?.[1]
  const parts = boundary === undefined ? [raw] : raw.split(`--${boundary}`).slice(1, -1)
  let text = ''
  let html = ''
  for (const part of parts) {
    const end = part.indexOf('\r\n\r\n')
    const headers = part.slice(0, end)
    const body = decodePart(headers, part.slice(end + 4).replace(/\r\n$/, ''))
    if (/content-type:\s*text\/plain/i.test(headers)) text = body
    if (/content-type:\s*text\/html/i.test(headers)) html = body
  }
  return { to, raw, subject, text, html }
}

export async function startSmtpServer (): Promise<{ url: string, mails: ReceivedMail[], close: () => Promise<void> }> {
  const mails: ReceivedMail[] = []
  const server = new SMTPServer({
    disabledCommands: ['STARTTLS', 'AUTH'],
    authOptional: true,
    logger: false,
    onData (stream, session, callback) {
      const chunks: Buffer[] = []
      stream.on('data', (c: Buffer) => chunks.push(c))
      stream.on('end', () => {
        mails.push(parseMail(Buffer.concat(chunks).toString('utf8'), session.envelope.rcptTo.map((r) => r.address)))
        callback()
      })
    }
  })
  await new Promise<void>((resolve) => { server.listen(0, '127.0.0.1', () => { resolve() }) })
  const { port } = server.server.address() as AddressInfo
  return { url: `smtp://127.0.0.1:${port}`, mails, close: async () => { await new Promise<void>((resolve) => { server.close(() => { resolve() }) }) } }
}

/** Answers each POST with the next of `statuses` (then 200), keeping the JSON bodies it got. */
export async function startSlackServer (statuses: number[] = []): Promise<{ url: string, messages: Array<{ text: string }>, close: () => Promise<void> }> {
  const messages: Array<{ text: string }> = []
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const status = statuses.shift() ?? 200
      if (status === 200) messages.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as { text: string })
      res.writeHead(status, { 'content-type': 'text/plain' }).end(status === 200 ? 'ok' : 'no')
    })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  return { url: `http://127.0.0.1:${port}/services/T000/B000/XXXX`, messages, close: async () => { await new Promise((resolve) => server.close(resolve)) } }
}
