// Building a block encodes each message's bytes once for its filters, frames and length column: what it
// writes is what the codec's one-line-at-a-time encoders (encodeColumns, buildFilter, buildGranuleFilter)
// make of the same lines, byte for byte, for ASCII and other text, digits, empty messages and many labels.
import { decompress } from '@mongodb-js/zstd'
import t from 'tap'
import { buildBlocks, GRANULE_LINES } from '../src/store/block-build.js'
import { blockParts, encodeColumns, type BlockLine } from '../src/store/block-codec.js'
import { buildFilter, buildGranuleFilter } from '../src/store/block-filter.js'

const DAY = 20_619
const WORDS = ['GET /v1/items 200', 'connexion établie', 'ошибка диска', '', 'trace 4bf92f3577b34da6', '日本語のログ', 'x', 'a😀b']

const lineOf = (i: number): BlockLine => ({
  day: DAY,
  t: 3_600_000_000_000 + Math.floor(i / 2) * 1_000_000,
  seq: 1000 - i,
  pod: `pod-${i % (i < 1500 ? 3 : 12)}`,
  container: i % 5 === 0 ? 'sidecar' : 'main',
  stream: i % 7 === 0 ? 'stderr' : 'stdout',
  msg: `${WORDS[i % WORDS.length] as string} ${i % 4 === 0 ? '' : String(i)}`
})

for (const [name, count] of [['one granule, ASCII and other text', 700], ['two granules, more than 8 label sets', 2000]] as const) {
  t.test(`${name}: the same bytes as the codec's reference encoders`, async (t) => {
    const lines = Array.from({ length: count }, (_, i) => lineOf(i))
    const [block] = await buildBlocks(lines.map((l) => ({ ...l })))
    if (block === undefined) throw new Error('no block')
    const sorted = [...lines].sort((a, b) => a.t - b.t || a.seq - b.seq)
    const minSeq = Math.min(...sorted.map((l) => l.seq))
    const messages = sorted.map((l) => Buffer.from(l.msg, 'utf8'))
    t.same(block.filter, buildFilter(messages), 'block filter')
    const parts = blockParts(block.payload)
    if (parts === undefined) throw new Error('not a version-2 payload')
    t.same(await decompress(parts.head), encodeColumns(sorted.map((l) => ({ ...l, seq: l.seq - minSeq })), false), 'head')
    t.equal(parts.granules.length, Math.ceil(count / GRANULE_LINES))
    for (const [g, granule] of parts.granules.entries()) {
      const part = messages.slice(g * GRANULE_LINES, (g + 1) * GRANULE_LINES)
      t.same(await decompress(granule.frame), Buffer.concat(part), `granule ${g} messages`)
      t.same(granule.filter, parts.granules.length === 1 ? Buffer.alloc(0) : buildGranuleFilter(part), `granule ${g} filter`)
    }
  })
}
