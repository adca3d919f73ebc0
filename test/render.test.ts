// The renderers write a read's lines as bytes straight from their decoded blocks; each format must be byte
// for byte what the contract's string rendering gives (JSON.stringify of each field, the timestamp as
// formatStored renders the stored text): messages with quotes, backslashes, control characters, multi-byte
// and astral characters, line separators, empty ones; labels that need escaping; timestamps with 3, 6 and 9
// fraction digits and none, in the first and last years.
import t from 'tap'
import { renderFrames, renderLogsBody } from '../src/read/render.js'
import { buildBlocks } from '../src/store/block-build.js'
import type { BlockLine } from '../src/store/block-codec.js'
import { decodePayload } from '../src/store/block-open.js'
import { StoredLine } from '../src/store/stored-line.js'
import { formatStored } from '../src/time.js'

const MESSAGES = ['plain', 'say "hi"', 'back\\slash', 'tab\there', 'new\nline', 'cr\r', '\u0000\u0001\u001f', '\u007f del', 'ünïcödé ✓ 日本語', 'rocket 🚀',
  '\u2028 and \u2029', '', ' ', '{"json":[1,2]}', '</script>', 'é'.repeat(300)]
const TIMES = [0, 1_000_000, 123_000_000, 123_456_000, 123_456_789, 5, 999_999_999, 59_999_999_999, 86_399_999_999_999]

async function linesOf (day: number, labels: [string, string, string]): Promise<StoredLine[]> {
  const lines: BlockLine[] = MESSAGES.map((msg, i) => ({ day, t: (TIMES[i % TIMES.length] as number) + i * 60_000_000_000, seq: i, pod: labels[0], container: labels[1], stream: labels[2], msg }))
  lines.sort((a, b) => a.t - b.t || a.seq - b.seq)
  const [built] = await buildBlocks(lines)
  if (built === undefined) throw new Error('no block')
  const block = await decodePayload(built.payload, built.minSeq)
  return Array.from({ length: block.n }, (_, i) => new StoredLine(block, i))
}

const item = (l: StoredLine): string => JSON.stringify({ container: l.container, msg: l.msg, pod: l.pod, stream: l.stream, timestamp: formatStored(l.ts, l.nanos) })

const cases: Array<[string, number, [string, string, string]]> = [
  ['2026-06-15', 20_619, ['pod-1', 'main', 'stdout']],
  ['0001-01-01', -719_162, ['pöd "q"', 'c\\t', 'stderr']],
  ['9999-12-31', 2_932_896, ['', '', 'stdout']]
]
for (const [name, day, labels] of cases) {
  t.test(`lines of ${name} render as the contract's strings, in every format`, async (t) => {
    const lines = await linesOf(day, labels)
    const body = renderLogsBody(lines)
    t.equal(body.toString('utf8'), `{"data":{"result":[${lines.map(item).join(',')}]}}`, 'the JSON page')
    t.same(JSON.parse(body.toString('utf8')).data.result.map((r: { msg: string }) => r.msg), lines.map((l) => l.msg), 'which parses back to the messages')
    t.equal(renderLogsBody(lines.slice(0, 2), 'c.u.r').toString('utf8'), `{"data":{"result":[${lines.slice(0, 2).map(item).join(',')}],"nextCursor":"c.u.r"}}`, 'with a cursor')
    t.equal(renderLogsBody([]).toString('utf8'), '{"data":{"result":[]}}', 'no lines')
    const room = Buffer.alloc(1 << 16, 0x41)
    const asked: number[] = []
    const inRoom = renderLogsBody(lines, 'c.u.r', (bytes) => { asked.push(bytes); return room })
    t.equal(inRoom.buffer, room.buffer, 'written in the room given')
    t.ok(asked.length === 1 && (asked[0] as number) >= inRoom.length, 'which was asked for at least the body\'s bytes')
    t.equal(inRoom.toString('utf8'), `{"data":{"result":[${lines.map(item).join(',')}],"nextCursor":"c.u.r"}}`, 'the same page, over old bytes')
    const joined = (format: 'ndjson' | 'text' | 'sse', chunk?: number): string =>
      Buffer.concat([...renderFrames(format, lines, (l) => `id-${l.seq}`, chunk)]).toString('utf8')
    t.equal(joined('ndjson'), lines.map((l) => item(l) + '\n').join(''), 'NDJSON')
    t.equal(joined('text'), lines.map((l) => `${formatStored(l.ts, l.nanos)} ${l.stream} ${l.msg}\n`).join(''), 'text')
    t.equal(joined('sse'), lines.map((l) => `id: id-${l.seq}\ndata: ${item(l)}\n\n`).join(''), 'SSE')
    t.equal(joined('ndjson', 100), joined('ndjson'), 'the same in small chunks')
    t.ok([...renderFrames('ndjson', lines, () => '', 100)].length > 1, 'which are several')
  })
}
