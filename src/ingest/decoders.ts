// The body formats of the ingest routes as plain data, so a worker thread (decode-pool.ts) decodes a body
// exactly as the route's own thread would: the same decoder, the same limits, the same tenancy.
import { mayActIn, type Principal } from '../auth/tokens.js'
import type { RunKey } from '../model.js'
import type { RunBlocks, RunLines } from '../store/log-store.js'
import { nativeLines } from './lines.js'
import { lokiPush } from './loki.js'
import { otlpLogs } from './otlp/map.js'
import { shipperRecords } from './records.js'
import type { Decoded, Decoder, MapperSettings } from './run-mapper.js'

/** A route's body format: the native write of one run, shippers' records, Loki push, OTLP. */
export type BodyFormat =
  | { format: 'native', run: RunKey, ndjson: boolean }
  | { format: 'records', ndjson: boolean }
  | { format: 'loki', protobuf: boolean }
  | { format: 'otlp', protobuf: boolean }

export function decoderOf (body: BodyFormat): Decoder {
  switch (body.format) {
    case 'native': return nativeLines(body.run, body.ndjson)
    case 'records': return shipperRecords(body.ndjson)
    case 'loki': return lokiPush(body.protobuf)
    case 'otlp': return otlpLogs(body.protobuf)
  }
}

/** A request's mapper settings as data (a worker cannot take a function): the token's groups instead of mayActIn. */
export type DecodeSettings = Omit<MapperSettings, 'mayActIn'> & { principal: Principal | null }

export function mapperSettings ({ principal, ...settings }: DecodeSettings): MapperSettings {
  return { ...settings, mayActIn: (group) => principal !== null && mayActIn(principal, group) }
}

/** What a body decodes to: its runs' lines, or (from a worker) their blocks already built. */
export type DecodedBody = Omit<Decoded, 'runs'> & { runs: Array<RunLines | RunBlocks> }

/** Decodes a body on this thread; its lines are built into blocks by the store. */
export const decodeHere = (format: BodyFormat, body: Buffer, settings: DecodeSettings): Decoded =>
  decoderOf(format)(body, mapperSettings(settings))
