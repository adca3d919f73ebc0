// Renders stored rows straight into the response formats: no intermediate objects, strings only.
import type { StoredRow } from '../store/log-store.js'
import { formatStored } from '../time.js'

/** One result item as SAP's body has it: {"container","msg","pod","stream","timestamp"}. */
export function renderItem (row: StoredRow): string {
  const [ts, nanos, container, pod, stream, msg] = row
  return `{"container":${JSON.stringify(container)},"msg":${JSON.stringify(msg)},"pod":${JSON.stringify(pod)},"stream":${JSON.stringify(stream)},"timestamp":"${formatStored(ts, nanos)}"}`
}

/** `<timestamp> <stream> <msg>`, like `kubectl logs --timestamps` (msg as stored, its own newlines kept). */
export function renderTextLine (row: StoredRow): string {
  return `${formatStored(row[0], row[1])} ${row[4]} ${row[5]}\n`
}

/** SAP's body; `nextCursor` only when more lines remain (the one key SAP's clients have not seen). */
export function renderLogsBody (rows: StoredRow[], nextCursor?: string): string {
  let body = '{"data":{"result":['
  for (let i = 0; i < rows.length; i++) {
    body += `${i === 0 ? '' : ','}${renderItem(rows[i] as StoredRow)}`
  }
  return body + (nextCursor === undefined ? ']}}' : `],"nextCursor":"${nextCursor}"}}`)
}
