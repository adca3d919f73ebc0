// Renders stored rows straight into SAP's response body: no intermediate objects, one string.
import type { StoredRow } from '../store/log-store.js'
import { formatStored } from '../time.js'

export function renderLogsBody (rows: StoredRow[]): string {
  let body = '{"data":{"result":['
  for (let i = 0; i < rows.length; i++) {
    const [ts, nanos, container, pod, stream, msg] = rows[i] as StoredRow
    body += `${i === 0 ? '' : ','}{"container":${JSON.stringify(container)},"msg":${JSON.stringify(msg)},"pod":${JSON.stringify(pod)},"stream":${JSON.stringify(stream)},"timestamp":"${formatStored(ts, nanos)}"}`
  }
  return body + ']}}'
}
