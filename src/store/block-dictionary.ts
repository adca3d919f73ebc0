// Preset dictionaries of small blocks (payload version 3, block-codec.ts; docs/performance.md "Dictionaries").
// A run's lines of a day are often a few dozen: alone, they compress poorly, since the codec meets each
// template once. A dictionary is the store's own recent message templates (digit and hex runs told apart
// from words), one real line per template, the most frequent last (nearest to the data, cheapest to reach
// in deflate's 32 KiB window), with the common label values before them; deflate starts each block's
// streams with it as if it had been compressed just before.
//
// A dictionary's id is the first 31 bits of its SHA-256: a block names what it was compressed with, any
// process (or replica) that trained the same bytes writes the same row, and a reader checks what it fetched
// against the id. Rows are never changed nor deleted. Decoders fetch a dictionary by id once and keep it;
// builders use the newest the process knows, looked up again after DICTIONARY_RECHECK_MS.
import { createHash } from 'node:crypto'
import type pg from 'pg'

/** deflate's window: a dictionary longer than this is cut to its end. */
export const DICTIONARY_BYTES = 32 * 1024
/** Label values at the start of a dictionary, at most. */
const LABEL_BYTES = 2 * 1024
/** Lines a dictionary is trained from, at least (fewer: none is trained). */
export const MIN_TRAINING_LINES = 2000
const DICTIONARY_RECHECK_MS = 60_000
/** Lines a run gives a training sample, at most, spread evenly over its lines. */
const SAMPLE_LINES_PER_RUN = 64

export interface Dictionary { id: number, bytes: Buffer }

/** A line as training reads it. */
export interface TrainingLine { msg: string, pod: string, container: string, stream: string }

type Db = pg.Pool | pg.PoolClient | pg.Client

export const dictionaryId = (bytes: Buffer): number => createHash('sha256').update(bytes).digest().readUInt32BE(0) >>> 1

/** A message's template: runs of digits, and of hex digits six or more long, as one mark. */
export const template = (msg: string): string => msg.replace(/[0-9a-f]{6,}|\d+/g, '#')

/**
 * A dictionary from a sample of lines (across runs, best spread evenly over them): one line of each
 * template, most frequent templates kept and placed last, up to DICTIONARY_BYTES with the labels.
 */
export function trainDictionary (sample: TrainingLine[]): Buffer {
  const counts = new Map<string, { n: number, example: string }>()
  const labels = new Set<string>()
  for (const l of sample) {
    const key = template(l.msg)
    const c = counts.get(key)
    if (c === undefined) counts.set(key, { n: 1, example: l.msg })
    else c.n++
    labels.add(l.container)
    labels.add(l.stream)
  }
  let labelText = ''
  for (const s of labels) { if (labelText.length + s.length > LABEL_BYTES) break; labelText += s }
  const head = Buffer.from(labelText, 'utf8')
  const chosen: Buffer[] = []
  let size = head.length
  for (const c of [...counts.values()].sort((a, b) => b.n - a.n)) {
    const b = Buffer.from(c.example, 'utf8')
    if (size + b.length > DICTIONARY_BYTES) continue
    chosen.push(b)
    size += b.length
  }
  return Buffer.concat([head, ...chosen.reverse()])
}

/** A training sample from runs' lines: up to SAMPLE_LINES_PER_RUN of each run, evenly spread. */
export function trainingSample<L extends TrainingLine> (runs: Iterable<L[]>): L[] {
  const sample: L[] = []
  for (const lines of runs) {
    const step = Math.max(1, lines.length / SAMPLE_LINES_PER_RUN)
    for (let i = 0; i < lines.length; i += step) sample.push(lines[Math.floor(i)] as L)
  }
  return sample
}

const known = new Map<number, Buffer>()
const sources = new Set<Db>()

/** Lets decoders fetch dictionaries through `db` (the app's pools); the returned function undoes it. */
export function addDictionarySource (db: Db): () => void {
  sources.add(db)
  return () => { sources.delete(db) }
}

/** Keeps a dictionary known to this process (one it wrote or fetched). */
export function learnDictionary (d: Dictionary): void {
  if (dictionaryId(d.bytes) !== d.id) throw new Error(`dictionary bytes do not match id ${d.id}`)
  known.set(d.id, d.bytes)
}

/** A dictionary's bytes by id: kept, or fetched from a source once (then kept: rows never change). */
export async function dictionaryBytes (id: number, db?: Db): Promise<Buffer> {
  const kept = known.get(id)
  if (kept !== undefined) return kept
  // Every source is asked (another app's pool may be down or elsewhere); a failure is thrown if none had it.
  let failed: unknown
  for (const source of db === undefined ? sources : [db, ...sources]) {
    const rows = await source.query<{ bytes: Buffer }>('SELECT bytes FROM block_dictionaries WHERE id = $1', [id])
      .then((r) => r.rows, (err: unknown) => { failed ??= err; return [] })
    const bytes = rows[0]?.bytes
    if (bytes !== undefined && dictionaryId(bytes) === id) {
      known.set(id, bytes)
      return bytes
    }
  }
  if (failed !== undefined) throw failed
  throw new Error(`the block was compressed with dictionary ${id}, which the store does not hold`)
}

/**
 * Stores a dictionary (a no-op when the same bytes are stored already) and keeps it known. Other bytes
 * stored under the same id (a 1 in 2^31 chance) are an error: no block may name this one.
 */
export async function saveDictionary (db: Db, bytes: Buffer): Promise<Dictionary> {
  const d = { id: dictionaryId(bytes), bytes }
  await db.query('INSERT INTO block_dictionaries (id, bytes) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING', [d.id, bytes])
  const { rows } = await db.query<{ bytes: Buffer }>('SELECT bytes FROM block_dictionaries WHERE id = $1', [d.id])
  if (rows[0]?.bytes.equals(bytes) !== true) throw new Error(`another dictionary is stored under id ${d.id}`)
  learnDictionary(d)
  newest.delete(db)
  return d
}

const newest = new Map<Db, { at: number, dictionary: Promise<Dictionary | undefined> }>()

/** The newest stored dictionary (undefined: none yet), looked up at most once a minute per pool. */
export async function newestDictionary (db: Db): Promise<Dictionary | undefined> {
  const now = Date.now()
  const cached = newest.get(db)
  if (cached !== undefined && now - cached.at < DICTIONARY_RECHECK_MS) return await cached.dictionary
  const dictionary = db.query<{ id: number, bytes: Buffer }>('SELECT id, bytes FROM block_dictionaries ORDER BY created DESC, id LIMIT 1')
    .then(({ rows }) => {
      const row = rows[0]
      if (row === undefined) return undefined
      const d = { id: row.id, bytes: row.bytes }
      learnDictionary(d)
      return d
    })
  newest.set(db, { at: now, dictionary })
  dictionary.catch(() => { newest.delete(db) })
  return await dictionary
}
