// What the fuzz tests share: the seed (fixed in CI, random and printed locally), a case counter, a check of
// the contract's error body that throws instead of asserting (a property runs it thousands of times), a raw
// HTTP/1.1 client for bytes no HTTP library would send, and generators of RFC 3339 text for an instant.
import { connect } from 'node:net'
import { brotliDecompressSync, gunzipSync } from 'node:zlib'
import fc from 'fast-check'

/** The seed CI runs with when FUZZ_SEED is not given (.ci/run sets FUZZ_SEED). */
const CI_SEED = 7_2024

export function fuzzSeed (): { seed: number, source: string } {
  const given = process.env.FUZZ_SEED
  if (given !== undefined && given !== '') {
    if (!/^-?\d{1,10}$/.test(given)) throw new Error(`FUZZ_SEED must be an integer, not ${given}`)
    return { seed: Number(given), source: 'FUZZ_SEED' }
  }
  if (process.env.CI !== undefined && process.env.CI !== '' && process.env.CI !== 'false') return { seed: CI_SEED, source: 'CI' }
  return { seed: Math.floor(Math.random() * 2 ** 31), source: 'random' }
}

/** A response as either inject or the raw client sees it. */
export interface SeenResponse {
  statusCode: number
  headers: Record<string, string | string[] | undefined>
  body: string
  /** The path the server saw (request.url before '?'). */
  path: string
}

const OTLP_PATHS = new Set(['/v1/logs', '/otlp/v1/logs'])

/** Why `res` breaks the contract (a 5xx, or a non-2xx without the contract's error body), or undefined. */
export function contractProblem (res: SeenResponse): string | undefined {
  if (res.statusCode >= 500) return `answered ${res.statusCode}: ${res.body.slice(0, 300)}`
  if (res.statusCode < 400) return undefined
  // OTLP/HTTP's rule for protobuf requests: errors are a google.rpc.Status in protobuf (docs/shippers.md).
  if (OTLP_PATHS.has(res.path) && res.headers['content-type'] === 'application/x-protobuf') {
    return res.body.length > 0 && res.headers['x-request-id'] !== undefined ? undefined : `a ${res.statusCode} with an empty protobuf Status`
  }
  if (!/^application\/json/.test(String(res.headers['content-type']))) return `a ${res.statusCode} with content-type ${String(res.headers['content-type'])}`
  let body: unknown
  try {
    body = JSON.parse(res.body)
  } catch {
    return `a ${res.statusCode} whose body is not JSON: ${res.body.slice(0, 200)}`
  }
  let keys = body !== null && typeof body === 'object' ? Object.keys(body) : []
  // Loki's read API puts Loki's own error fields, which Grafana and logcli show, beside the contract's error.
  if (res.path.startsWith('/loki/api/v1/') && keys.includes('status')) {
    const loki = body as { status?: unknown, code?: unknown, message?: unknown }
    if (loki.status !== 'error' || loki.code !== res.statusCode || typeof loki.message !== 'string') return `a ${res.statusCode} without Loki's status, code and message: ${res.body.slice(0, 200)}`
    keys = keys.filter((k) => !['status', 'code', 'message'].includes(k))
  }
  if (keys.length !== 1 || keys[0] !== 'error') return `a ${res.statusCode} whose body is not {"error":{...}}: ${res.body.slice(0, 200)}`
  const error = (body as { error: Record<string, unknown> }).error
  if (typeof error.code !== 'string' || !/^[A-Z][A-Za-z]+$/.test(error.code)) return `error.code ${String(error.code)}`
  if (typeof error.message !== 'string' || error.message === '') return 'error.message is empty'
  if (error.requestId !== res.headers['x-request-id']) return `error.requestId ${String(error.requestId)} is not X-Request-Id ${String(res.headers['x-request-id'])}`
  if (error.target !== res.path) return `error.target ${JSON.stringify(error.target)} is not the path ${JSON.stringify(res.path)}`
  if (error.details !== undefined && (error.details === null || typeof error.details !== 'object' || Array.isArray(error.details))) return 'error.details is not an object'
  return undefined
}

/** Throws with the request shown when the response breaks the contract. */
export function mustKeepContract (res: SeenResponse, request: string): void {
  const problem = contractProblem(res)
  if (problem !== undefined) throw new Error(`${request}: ${problem}`)
}

/** The body as text, decompressed when the response says so. */
export function decodedBody (raw: Buffer, encoding: unknown): string {
  if (encoding === 'gzip') return gunzipSync(raw).toString('utf8')
  if (encoding === 'br') return brotliDecompressSync(raw).toString('utf8')
  return raw.toString('utf8')
}

/**
 * Sends `head` (request line and headers, as latin1 bytes, CRLF-separated, without the blank line) and
 * `body` on a fresh connection, and reads the answer until the server closes it (Connection: close).
 */
export async function rawRequest (port: number, head: string, body: Buffer = Buffer.alloc(0)): Promise<{ statusCode: number, headers: Record<string, string>, body: Buffer }> {
  const socket = connect(port, '127.0.0.1')
  socket.setTimeout(15_000, () => { socket.destroy(new Error(`no answer within 15 s to ${JSON.stringify(head.slice(0, 200))}`)) })
  const chunks: Buffer[] = []
  socket.on('data', (chunk: Buffer) => chunks.push(chunk))
  await new Promise<void>((resolve, reject) => {
    socket.on('error', (err) => { if ((err as NodeJS.ErrnoException).code === 'ECONNRESET' || (err as NodeJS.ErrnoException).code === 'EPIPE') resolve(); else reject(err) })
    socket.on('close', () => { resolve() })
    // Not end(): a half-closed connection may be dropped before it is answered; the server closes it.
    socket.write(Buffer.concat([Buffer.from(`${head}\r\nConnection: close\r\n\r\n`, 'latin1'), body]))
  })
  const all = Buffer.concat(chunks)
  const split = all.indexOf('\r\n\r\n')
  if (split === -1) throw new Error(`no HTTP answer to ${JSON.stringify(head.slice(0, 200))}: ${JSON.stringify(all.toString('latin1').slice(0, 200))}`)
  const [statusLine = '', ...headerLines] = all.subarray(0, split).toString('latin1').split('\r\n')
  const headers: Record<string, string> = {}
  for (const line of headerLines) {
    const colon = line.indexOf(':')
    headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim()
  }
  let rest: Buffer = all.subarray(split + 4)
  if (headers['transfer-encoding'] === 'chunked') rest = dechunk(rest)
  return { statusCode: Number(statusLine.split(' ')[1]), headers, body: rest }
}

function dechunk (data: Buffer): Buffer {
  const parts: Buffer[] = []
  let at = 0
  for (;;) {
    const eol = data.indexOf('\r\n', at)
    const size = parseInt(data.subarray(at, eol).toString('latin1'), 16)
    if (!(size > 0)) return Buffer.concat(parts)
    parts.push(data.subarray(eol + 2, eol + 2 + size))
    at = eol + 2 + size + 2
  }
}

// Instants and their RFC 3339 spellings, computed here without src/time.ts so the tests check it.
const NS_PER_MS = 1_000_000n
const NS_PER_MINUTE = 60_000_000_000n
const floorDiv = (a: bigint, b: bigint): bigint => (a % b !== 0n && (a < 0n) !== (b < 0n) ? a / b - 1n : a / b)
const floorMod = (a: bigint, b: bigint): bigint => a - floorDiv(a, b) * b

/** `YYYY-MM-DDTHH:mm:ss` of an instant (ns since the epoch) and its nine fractional digits. */
function wallClock (ns: bigint): { seconds: string, nine: string } {
  const iso = new Date(Number(floorDiv(ns, NS_PER_MS))).toISOString()
  return { seconds: iso.slice(0, 19), nine: String(floorMod(ns, 1_000_000_000n)).padStart(9, '0') }
}

/** How the API renders an instant: UTC, +00:00, the fewest of 3, 6 or 9 digits that state it exactly. */
export function apiTimestamp (ns: bigint): string {
  const { seconds, nine } = wallClock(ns)
  const digits = nine.endsWith('000000') ? nine.slice(0, 3) : nine.endsWith('000') ? nine.slice(0, 6) : nine
  return `${seconds}.${digits}+00:00`
}

/** One spelling of a timestamp: `digits` fractional digits (0 to 9), an offset in minutes, and the letter case. */
export interface Spelling { digits: number, offsetMinutes: number | 'Z', lower: boolean }

export const spellingArb: fc.Arbitrary<Spelling> = fc.record({
  digits: fc.integer({ min: 0, max: 9 }),
  offsetMinutes: fc.oneof(fc.constant('Z' as const), fc.constant(0), fc.integer({ min: -(23 * 60 + 59), max: 23 * 60 + 59 })),
  lower: fc.boolean()
})

/** The instant a spelling states (the fraction cut to its digits) and the text; year 1 to 9999 locally. */
export function spell (ns: bigint, how: Spelling): { instant: bigint, text: string } {
  const unit = 10n ** BigInt(9 - how.digits)
  const instant = floorDiv(ns, unit) * unit
  const offset = how.offsetMinutes === 'Z' ? 0 : how.offsetMinutes
  const local = wallClock(instant + BigInt(offset) * NS_PER_MINUTE)
  const year = Number(local.seconds.slice(0, 4))
  // A local time before year 1 or after 9999 has no RFC 3339 form: spell it in UTC instead.
  if (local.seconds.startsWith('-') || local.seconds.startsWith('+') || year < 1) return spell(ns, { ...how, offsetMinutes: 'Z' })
  const fraction = how.digits === 0 ? '' : `.${local.nine.slice(0, how.digits)}`
  const abs = Math.abs(offset)
  const zone = how.offsetMinutes === 'Z'
    ? 'Z'
    : `${offset < 0 ? '-' : '+'}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`
  const text = `${local.seconds}${fraction}${zone}`
  return { instant, text: how.lower ? text.toLowerCase() : text }
}

/** Nanoseconds since the epoch of an ISO date-time with Z (millisecond precision or less). */
export const instantOf = (iso: string): bigint => BigInt(new Date(iso).getTime()) * NS_PER_MS
