// The messages between the decode pool (decode-pool.ts) and its worker threads (decode-worker.ts): one
// request and one reply at a time per worker.
import type { ErrorDetails } from '../errors.js'
import type { RunBlocks } from '../store/log-store.js'
import type { BodyFormat, DecodeSettings } from './decoders.js'
import type { Decoded } from './run-mapper.js'

export interface DecodeRequest {
  format: BodyFormat
  /** A copy of the body, transferred. */
  body: Uint8Array<ArrayBuffer>
  settings: DecodeSettings
}

/** The decoded body with its blocks built; every filter and payload a view of one transferred buffer. */
export type DecodedBlocks = Omit<Decoded, 'runs'> & { runs: RunBlocks[] }

/** One of: the worker has started (its first message); the decoded body; a catalogue error to throw (400, 413); any other failure (a 500). */
export interface DecodeReply {
  ready?: true
  decoded?: DecodedBlocks
  apiError?: { statusCode: number, message: string, details?: ErrorDetails }
  failure?: { message: string, stack: string }
}
