// Renders stored rows straight into the response formats: no intermediate objects, strings only. The parts
// of an item that repeat from line to line (the labels' JSON, a second's timestamp text) are made once:
// a page of 5,000 lines otherwise spends most of its time making and collecting small strings.
import type { StoredRow } from '../store/log-store.js'
import { formatStored } from '../time.js'

/** An item's text before and after its msg: `{"container":…,"msg":` and `,"pod":…,"stream":…,"timestamp":"`. */
type Fragments = [string, string]
const fragments = new Map<string, Map<string, Map<string, Fragments>>>()
let fragmentCount = 0

function fragmentsOf (container: string, pod: string, stream: string): Fragments {
  let byPod = fragments.get(container)
  if (byPod === undefined) fragments.set(container, byPod = new Map())
  let byStream = byPod.get(pod)
  if (byStream === undefined) byPod.set(pod, byStream = new Map())
  let f = byStream.get(stream)
  if (f === undefined) {
    // Labels are a run's few pods and containers; a process serving very many forgets them all now and then.
    if (++fragmentCount > 10_000) { fragments.clear(); fragmentCount = 0 }
    f = [`{"container":${JSON.stringify(container)},"msg":`, `,"pod":${JSON.stringify(pod)},"stream":${JSON.stringify(stream)},"timestamp":"`]
    byStream.set(stream, f)
  }
  return f
}

// The last second rendered: Postgres' text up to the second, and the API's (…THH:MM:SS.).
let lastSecond = ''
let lastSecondText = ''

/** The API's timestamp of a stored position, as formatStored gives it, without re-splitting each line's second. */
function timestampOf (pgText: string, nanos: number): string {
  if (pgText.length < 22 || pgText.charCodeAt(19) !== 0x2e) return formatStored(pgText, nanos) // no fraction
  if (!pgText.startsWith(lastSecond) || lastSecond === '') {
    lastSecond = pgText.slice(0, 20)
    lastSecondText = `${pgText.slice(0, 10)}T${pgText.slice(11, 19)}.`
  }
  // Microseconds: the digits after the dot (up to six, trailing zeros trimmed by Postgres), then "+00".
  let micros = 0
  const end = pgText.length - 3
  for (let i = 20; i < 26; i++) micros = micros * 10 + (i < end ? pgText.charCodeAt(i) - 0x30 : 0)
  const fraction = micros * 1000 + nanos
  const digits = fraction % 1_000_000 === 0 ? 3 : fraction % 1000 === 0 ? 6 : 9
  const text = String(digits === 3 ? fraction / 1_000_000 : digits === 6 ? fraction / 1000 : fraction)
  return `${lastSecondText}${text.length === digits ? text : text.padStart(digits, '0')}+00:00`
}

/** One result item as SAP's body has it: {"container","msg","pod","stream","timestamp"}. */
export function renderItem (row: StoredRow): string {
  const [ts, nanos, container, pod, stream, msg] = row
  const [before, after] = fragmentsOf(container, pod, stream)
  return `${before}${JSON.stringify(msg)}${after}${timestampOf(ts, nanos)}"}`
}

/** `<timestamp> <stream> <msg>`, like `kubectl logs --timestamps` (msg as stored, its own newlines kept). */
export function renderTextLine (row: StoredRow): string {
  return `${timestampOf(row[0], row[1])} ${row[4]} ${row[5]}\n`
}

/** SAP's body; `nextCursor` only when more lines remain (the one key SAP's clients have not seen). */
export function renderLogsBody (rows: StoredRow[], nextCursor?: string): string {
  const items = new Array<string>(rows.length)
  for (let i = 0; i < rows.length; i++) items[i] = renderItem(rows[i] as StoredRow)
  return `{"data":{"result":[${items.join(',')}${nextCursor === undefined ? ']}}' : `],"nextCursor":"${nextCursor}"}}`}`
}
