// A line's place in a run, as blocks keep it: UTC day (days since 1970), nanoseconds within the day, seq.
// Postgres' timestamptz text ("2026-06-15 10:00:00.123456+00", TimeZone=UTC) is made and read here, so
// rows and cursors look exactly as they did when Postgres printed each line's ts.
import type { LogRange, StoredPosition } from '../model.js'
import type { Instant } from '../time.js'
import { DAY_NS } from './block-codec.js'

export interface Position { day: number, t: number, seq: number }

const DAY_NS_BIG = BigInt(DAY_NS)
const DAY_MS = 86_400_000

export function instantPosition (ns: Instant, seq = 0): Position {
  let day = ns / DAY_NS_BIG
  if (ns < 0n && day * DAY_NS_BIG !== ns) day -= 1n
  return { day: Number(day), t: Number(ns - day * DAY_NS_BIG), seq }
}

/** The instant of a position (its nanoseconds since the epoch). */
export const positionInstant = (p: { day: number, t: number }): Instant => BigInt(p.day) * DAY_NS_BIG + BigInt(p.t)

const pad2 = (n: number): string => (n < 10 ? `0${n}` : String(n))
const dayTexts = new Map<number, string>()

/** YYYY-MM-DD of a day number (years 1 to 9999). */
export function dayText (day: number): string {
  let text = dayTexts.get(day)
  if (text === undefined) {
    text = new Date(day * DAY_MS).toISOString().slice(0, 10)
    if (dayTexts.size > 10_000) dayTexts.clear()
    dayTexts.set(day, text)
  }
  return text
}

// The last second made into text (a page's lines mostly share their seconds): its day, second and text.
let lastDay = NaN
let lastSecond = NaN
let lastSecondText = ''

/** Postgres' text of the timestamptz holding (day, t) to the microsecond. */
export function tsText (day: number, t: number): string {
  const micros = Math.floor(t / 1000)
  const second = Math.floor(micros / 1_000_000)
  if (second !== lastSecond || day !== lastDay) {
    lastSecondText = `${dayText(day)} ${pad2(Math.floor(second / 3600))}:${pad2(Math.floor(second / 60) % 60)}:${pad2(second % 60)}`
    lastDay = day
    lastSecond = second
  }
  let fraction = micros - second * 1_000_000
  if (fraction === 0) return `${lastSecondText}+00`
  // Six digits with Postgres' trailing zeros trimmed.
  let digits = 6
  while (fraction % 10 === 0) { fraction /= 10; digits-- }
  const text = String(fraction)
  return `${lastSecondText}.${text.length === digits ? text : text.padStart(digits, '0')}+00`
}

const PG_TS = /^(\d{4,})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?(?:\+00|Z)?$/

/** A stored position (a cursor's, Postgres' ts text) as a Position. */
export function storedPosition (p: StoredPosition): Position {
  const m = PG_TS.exec(p.ts)
  if (m === null) throw new Error(`not a stored timestamp: ${p.ts}`)
  const day = Math.floor(new Date(0).setUTCFullYear(Number(m[1]), Number(m[2]) - 1, Number(m[3])) / DAY_MS)
  const micros = ((Number(m[4]) * 60 + Number(m[5])) * 60 + Number(m[6])) * 1_000_000 + Number((m[7] ?? '').padEnd(6, '0'))
  return { day, t: micros * 1000 + p.nanos, seq: Number(p.seq) }
}

export function compare (a: Position, b: Position): number {
  return a.day - b.day || a.t - b.t || a.seq - b.seq
}

/** The SQL parameters of a position: ts text, nanoseconds, seq. */
export const sqlPosition = (p: Position): [string, number, number] => [tsText(p.day, p.t), p.t % 1000, p.seq]

/** The bounds of a range in its order: lower inclusive, upper exclusive (a cursor's position replaces one). */
export function rangeBounds (range: LogRange): { lower: Position, upper: Position } {
  let lower = instantPosition(range.start)
  let upper = instantPosition(range.end)
  if (range.after !== undefined) {
    const a = storedPosition(range.after)
    if (range.order === 'asc') lower = { ...a, seq: a.seq + 1 }
    else upper = a
  }
  return { lower, upper }
}
