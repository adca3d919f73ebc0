// The log line as read (SAP's body) and as written: the shapes both directions of the logs endpoints share.
import { z } from 'zod'

const logLine = z.object({
  container: z.string(),
  msg: z.string(),
  pod: z.string(),
  stream: z.string(),
  timestamp: z.string().meta({ description: 'UTC with +00:00 and 3, 6 or 9 fractional digits.' })
}).meta({ id: 'LogLine' })

export const logsResponse = z.object({
  data: z.object({
    result: z.array(logLine),
    nextCursor: z.string().optional().meta({ description: 'Present only while more lines remain in the range: send it as ?cursor= for the next page.' })
  })
}).meta({ id: 'LogsResponse' })

const ingestLine = z.object({
  timestamp: z.string().meta({ description: 'RFC 3339, Z or ±hh:mm, up to 9 fractional digits.' }),
  msg: z.string(),
  container: z.string().optional(),
  pod: z.string().optional(),
  stream: z.string().optional()
}).meta({ id: 'IngestLine' })

export const ingestBody = z.union([z.array(ingestLine), z.object({ data: z.object({ result: z.array(ingestLine) }) })])
  .meta({ description: 'An array of lines, or a read body {"data":{"result":[...]}}. As application/x-ndjson: one line object per text line. Content-Encoding gzip is accepted.' })

export const ingestResponse = z.object({ accepted: z.int().meta({ description: 'Lines committed.' }) })
