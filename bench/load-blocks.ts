// The scale data set into the block store: the generator's COPY text (the same text the row store is loaded
// from, in the same run) is cut into each run's lines of the day, and when a day is complete its runs'
// lines become full blocks (block-build.ts), inserted as ingest inserts them. The same text, as NDJSON
// with its labels, is compressed with zstd -3 in 4 MiB chunks: the disk target's yardstick. As the service's
// merger does (block-merge.ts), a dictionary is trained from a sample of the first day's lines across runs
// once they are MIN_TRAINING_LINES or more, and stored; every block of one granule is then built with it (the
// first day's too: the merger recompresses blocks written before the dictionary, so the store converges there).
import { compress } from '@mongodb-js/zstd'
import pg from 'pg'
import { BlockRows, buildBlocks } from '../src/store/block-build.js'
import type { BlockLine } from '../src/store/block-codec.js'
import { MIN_TRAINING_LINES, saveDictionary, trainDictionary, trainingSample, type Dictionary } from '../src/store/block-dictionary.js'
import { storedPosition } from '../src/store/block-position.js'
import { INSERT_BLOCKS } from '../src/store/block-statements.js'
import type { RunKind } from '../src/model.js'
import type { DaySink } from './dataset.js'

const NDJSON_CHUNK = 4 << 20

/**
 * The generator's COPY text cut into each run's lines (keyed "group\tkind\tid"), as block lines; `each`
 * sees every line with its run and timestamp text.
 */
export function addCopyText (runs: Map<string, BlockLine[]>, text: string, each?: (group: string, kind: string, id: string, ts: string, ns: string, line: BlockLine) => void): void {
  for (const row of text.split('\n')) {
    if (row === '') continue
    const [group, kind, id, ts, ns, seq, container, pod, stream, msg] = row.split('\t') as [string, string, string, string, string, string, string, string, string, string]
    const key = `${group}\t${kind}\t${id}`
    let lines = runs.get(key)
    if (lines === undefined) runs.set(key, lines = [])
    const p = storedPosition({ ts, nanos: Number(ns), seq })
    const line: BlockLine = { day: p.day, t: p.t, seq: p.seq, container, pod, stream, msg }
    lines.push(line)
    each?.(group, kind, id, ts, ns, line)
  }
}

export class BlockLoader implements DaySink {
  private readonly days = new Map<number, Map<string, BlockLine[]>>()
  private ndjson = ''
  private zstdBytes = 0
  lines = 0
  private inserts: Promise<void> = Promise.resolve()
  private dictionary: Dictionary | undefined

  constructor (private readonly client: pg.Client) {}

  write (day: number, text: string): void {
    let runs = this.days.get(day)
    if (runs === undefined) this.days.set(day, runs = new Map())
    addCopyText(runs, text, (group, kind, id, ts, ns, line) => {
      this.ndjson += `{"group":"${group}","kind":"${kind}","id":"${id}","timestamp":"${ts}","ns":${ns},"container":"${line.container}","pod":"${line.pod}","stream":"${line.stream}","msg":${JSON.stringify(line.msg)}}\n`
      this.lines++
    })
    if (this.ndjson.length >= NDJSON_CHUNK) this.flushNdjson()
  }

  private flushNdjson (): void {
    const text = this.ndjson
    this.ndjson = ''
    this.inserts = this.inserts.then(async () => { this.zstdBytes += (await compress(Buffer.from(text), 3)).length })
  }

  complete (day: number): void {
    const runs = this.days.get(day) ?? new Map<string, BlockLine[]>()
    this.days.delete(day)
    this.inserts = this.inserts.then(async () => {
      const sample = trainingSample(runs.values())
      if (this.dictionary === undefined && sample.length >= MIN_TRAINING_LINES) this.dictionary = await saveDictionary(this.client, trainDictionary(sample))
      let out = new BlockRows()
      const flush = async (): Promise<void> => {
        if (out.size > 0) await this.client.query({ text: INSERT_BLOCKS, values: out.columns })
        out = new BlockRows()
      }
      for (const [key, lines] of runs) {
        const [group, kind, id] = key.split('\t') as [string, RunKind, string]
        const first = lines[0]
        if (first === undefined) continue
        await this.client.query('SELECT log_blocks_ensure_partition($1::date)', [new Date(first.day * 86_400_000).toISOString().slice(0, 10)])
        for (const b of await buildBlocks(lines, undefined, this.dictionary)) out.add({ group, kind, id }, 0, b)
        if (out.size >= 64) await flush()
      }
      await flush()
    })
  }

  /** Waits for every insert; resolves to zstd -3 bytes of the lines as NDJSON. */
  async finish (): Promise<number> {
    this.flushNdjson()
    await this.inserts
    return this.zstdBytes
  }
}
