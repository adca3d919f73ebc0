// `npm run bench -- block-sizes`: the block layout's codec choices on the scale data set's lines: bytes a
// line of each codec and block size, with the token filter, beside zstd -3 of the same lines as NDJSON,
// and the time to decode a block.
import { brotliCompressSync, constants, gzipSync } from 'node:zlib'
import { compress, decompress } from '@mongodb-js/zstd'
import { parseArgs } from 'node:util'
import { encodeColumns, type BlockLine } from '../src/store/block-codec.js'
import { DecodedBlock } from '../src/store/block-codec.js'
import { buildFilter } from '../src/store/block-filter.js'
import { defaultSpec, generate, planRuns } from './dataset.js'

const { values } = parseArgs({ args: process.argv.slice(3), options: { lines: { type: 'string', default: '200000' } } })
const spec = defaultSpec(Number(values.lines))
const plans = planRuns(spec)
const byRun = new Map<string, BlockLine[]>()
const ndjson = new Map<string, string[]>()
await generate(spec, plans, {
  write: (_day, text) => {
    for (const row of text.split('\n')) {
      if (row === '') continue
      const [group, kind, id, ts, ns, seq, container, pod, stream, msg] = row.split('\t') as string[]
      const micros = Date.parse(`${(ts as string).slice(0, 19).replace(' ', 'T')}Z`) * 1000 + Number((ts as string).slice(20, 26))
      const instant = BigInt(micros) * 1000n + BigInt(ns as string)
      const day = Number(instant / 86_400_000_000_000n)
      const key = `${group as string}/${kind as string}/${id as string}`
      const line: BlockLine = { day, t: Number(instant - BigInt(day) * 86_400_000_000_000n), seq: Number(seq), pod: pod as string, container: container as string, stream: stream as string, msg: msg as string }
      let list = byRun.get(key)
      if (list === undefined) { byRun.set(key, list = []); ndjson.set(key, []) }
      list.push(line)
      ndjson.get(key)?.push(JSON.stringify({ group, kind, id, timestamp: ts, container, pod, stream, msg }))
    }
  },
  complete: () => {}
})
let total = 0
for (const l of byRun.values()) total += l.length
const allNdjson = [...ndjson.values()].flat().join('\n')
const z3 = (await compress(Buffer.from(allNdjson), 3)).length
console.log(`${total} lines in ${byRun.size} runs; NDJSON ${(allNdjson.length / total).toFixed(0)} B/line; zstd -3 of NDJSON ${(z3 / total).toFixed(1)} B/line`)

const codecs: Record<string, (b: Buffer) => Promise<Buffer>> = {
  'zstd -1': async (b) => await compress(b, 1),
  'zstd -3': async (b) => await compress(b, 3),
  'zstd -6': async (b) => await compress(b, 6),
  'brotli 5': async (b) => brotliCompressSync(b, { params: { [constants.BROTLI_PARAM_QUALITY]: 5 } }),
  'gzip 6': async (b) => gzipSync(b)
}
for (const blockLines of [1024, 2048, 4096, 8192]) {
  for (const [name, codec] of Object.entries(codecs)) {
    let bytes = 0
    let filterBytes = 0
    let blocks = 0
    let decodeMs = 0
    const t0 = performance.now()
    for (const lines of byRun.values()) {
      lines.sort((a, b) => a.day - b.day || a.t - b.t || a.seq - b.seq)
      for (let i = 0; i < lines.length;) {
        let j = i
        while (j < lines.length && j - i < blockLines && (lines[j] as BlockLine).day === (lines[i] as BlockLine).day) j++
        const slice = lines.slice(i, j)
        const packed = await codec(encodeColumns(slice))
        bytes += packed.length + 60 // the row's header, keys and index entries, about
        filterBytes += buildFilter(slice.map((l) => Buffer.from(l.msg))).length
        blocks++
        if (name.startsWith('zstd') && slice.length >= blockLines / 2) {
          const d0 = performance.now()
          const block = new DecodedBlock(await decompress(packed))
          for (let k = 0; k < block.n; k++) block.msg(k)
          decodeMs += performance.now() - d0
        }
        i = j
      }
    }
    console.log(`${blockLines} lines/block ${name}: payload+row ${(bytes / total).toFixed(1)} B/line, filter ${(filterBytes / total).toFixed(1)} B/line, ${blocks} blocks, encode ${((performance.now() - t0) / total * 1e6).toFixed(0)} ns/line${decodeMs > 0 ? `, decode+strings ${(decodeMs / total * 1e6).toFixed(0)} ns/line` : ''}`)
  }
}
