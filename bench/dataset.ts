// The scale benchmark's store: a deterministic plan of runs (sizes, lifetimes, pods, containers) and its
// lines written as COPY text. Messages are realistic templated lines (messages.ts). Lines come in
// shipper-sized chunks of one run, chunks of all runs in time order, as a store fed by Fluent Bit or
// Vector fills; run sizes are Zipf-like, a few runs hold most lines.

import { containersOf, podsOf, RARE_WORD, RunVoice } from './messages.js'

/** What a data set is made of; the same spec always makes the same lines. */
export interface DatasetSpec {
  lines: number
  runs: number
  /** UTC days covered, from firstDay; one partition each. */
  days: number
  firstDay: string
  seed: number
  /** Added to each run's number in its id: data sets with different bases share no run (grow-blocks.ts). */
  runBase?: number
}

// 10,000 runs from 1M lines up; fewer in a small store (a run has 100 lines at least).
export const defaultSpec = (lines: number): DatasetSpec =>
  ({ lines, runs: Math.max(1, Math.min(10_000, Math.floor(lines / 100))), days: 8, firstDay: '2026-10-01', seed: 42 })

export interface RunPlan {
  index: number
  group: string
  kind: 'deployment' | 'execution'
  id: string
  lines: number
  /** Lifetime in epoch microseconds: lines fall in [firstMicros, lastMicros]. */
  firstMicros: number
  lastMicros: number
  pods: string[]
  containers: string[]
  /** Digits of the sub-second a run's shipper keeps: 3 (ms), 6 (µs) or 9 (ns), as Python logging, Go and CRI stamp. */
  precision: 3 | 6 | 9
}

const DAY_US = 86_400_000_000
const HOUR_US = 3_600_000_000
const GROUPS = ['default', 'team-vision', 'team-nlp', 'team-fraud']

/** mulberry32: small, fast, and the same on every machine. */
export function prng (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6D2B79F5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export { RARE_WORD }

export const dayStartMicros = (day: string): number => Date.parse(`${day}T00:00:00Z`) * 1000
export const dayOf = (spec: DatasetSpec, i: number): string => new Date(dayStartMicros(spec.firstDay) / 1000 + i * 86_400_000).toISOString().slice(0, 10)

/** The runs: Zipf-like sizes (run 0 the largest); the largest 1% live through the whole span, others hours to days. */
export function planRuns (spec: DatasetSpec): RunPlan[] {
  const random = prng(spec.seed)
  let weights = 0
  for (let r = 0; r < spec.runs; r++) weights += 1 / (r + 1)
  const spanStart = dayStartMicros(spec.firstDay)
  const span = spec.days * DAY_US - 1
  const plans: RunPlan[] = []
  let given = 0
  for (let r = 0; r < spec.runs; r++) {
    const lines = Math.max(1, Math.floor(spec.lines * (1 / (r + 1)) / weights))
    given += lines
    const longLived = r < spec.runs / 100
    const life = longLived ? span : Math.min(span, Math.floor((0.05 + random() * random() * 3) * DAY_US))
    const first = spanStart + Math.floor(random() * (span - life))
    const kind = r % 5 === 4 ? 'execution' : 'deployment'
    const n = r + (spec.runBase ?? 0)
    const id = `${kind === 'execution' ? 'e' : 'd'}${(n * 2654435761 >>> 0).toString(16).padStart(8, '0')}${String(n).padStart(5, '0')}`
    const podCount = 1 + Math.floor(random() * 4)
    plans.push({
      index: r,
      group: GROUPS[r % GROUPS.length] as string,
      kind,
      id,
      lines,
      firstMicros: first,
      lastMicros: first + life,
      pods: podsOf(kind, id, podCount, random),
      containers: containersOf(kind),
      precision: r % 10 < 5 ? 3 : r % 10 < 8 ? 6 : 9
    })
  }
  // What the floor left over goes to the largest run, so the total is exact.
  const largest = plans[0] as RunPlan
  largest.lines += spec.lines - given
  if (largest.lines < 1) throw new Error(`${spec.lines} lines are too few for ${spec.runs} runs`)
  return plans
}

const pad2 = (n: number): string => (n < 10 ? `0${n}` : String(n))
const pad6 = (n: number): string => String(n).padStart(6, '0')

export interface DaySink {
  /** COPY text of whole lines of one day. */
  write: (day: number, text: string) => void | Promise<void>
  /** No line of this day follows. */
  complete: (day: number) => void | Promise<void>
}

/** First and last line of each run, as stored: epoch microseconds and the nanoseconds beyond. */
export interface RunBounds { firstMicros: Float64Array, firstNanos: Int16Array, lastMicros: Float64Array, lastNanos: Int16Array }

/**
 * Generates the lines of every run in chunks (a shipper's flush: 50 to 1000 lines of one run, a few of them
 * sharing one timestamp), all chunks in time order, into the sink: COPY text of whole lines, about 64 KB at
 * a time, for the day partition the lines fall in, and word when a day is complete. Returns each run's
 * first and last line (for the runs table).
 */
export async function generate (spec: DatasetSpec, plans: RunPlan[], sink: DaySink): Promise<RunBounds> {
  const random = prng(spec.seed ^ 0x5eed)
  // Each run speaks with its own voice and generator: its lines do not depend on the other runs'.
  const voices = plans.map((p) => new RunVoice(p.kind, p.lines, prng((spec.seed * 7919) ^ (p.index + 1))))
  const spanStart = dayStartMicros(spec.firstDay)
  // Per run: chunk count and the next chunk's number; a heap of runs keyed by their next chunk's start.
  // A chunk spans at most an hour, so a day's partition is complete soon after the merge passes its end.
  const chunks = plans.map((p) => Math.max(1, Math.ceil(p.lines / (50 + (p.index * 7919) % 950)), Math.ceil((p.lastMicros - p.firstMicros) / HOUR_US)))
  const nextChunk = new Int32Array(plans.length)
  const bounds: RunBounds = {
    firstMicros: new Float64Array(plans.length),
    firstNanos: new Int16Array(plans.length),
    lastMicros: new Float64Array(plans.length),
    lastNanos: new Int16Array(plans.length)
  }
  const chunkStart = (r: number, c: number): number => {
    const p = plans[r] as RunPlan
    return p.firstMicros + Math.floor((p.lastMicros - p.firstMicros) * c / (chunks[r] as number))
  }
  const heap: number[] = []
  const key = (r: number): number => chunkStart(r, nextChunk[r] as number)
  const push = (r: number): void => {
    heap.push(r)
    let i = heap.length - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (key(heap[parent] as number) <= key(heap[i] as number)) break;
      [heap[parent], heap[i]] = [heap[i] as number, heap[parent] as number]
      i = parent
    }
  }
  const pop = (): number => {
    const top = heap[0] as number
    const last = heap.pop() as number
    if (heap.length > 0) {
      heap[0] = last
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        const r = l + 1
        let m = i
        if (l < heap.length && key(heap[l] as number) < key(heap[m] as number)) m = l
        if (r < heap.length && key(heap[r] as number) < key(heap[m] as number)) m = r
        if (m === i) break;
        [heap[m], heap[i]] = [heap[i] as number, heap[m] as number]
        i = m
      }
    }
    return top
  }
  for (let r = 0; r < plans.length; r++) push(r)

  const buffers: string[] = Array.from({ length: spec.days }, () => '')
  let dayPrefixOf = ''
  let dayPrefixFor = -1
  let secondText = ''
  let secondFor = -1
  let completed = 0
  const completeBefore = async (day: number): Promise<void> => {
    for (; completed < day; completed++) {
      if (buffers[completed] !== '') await sink.write(completed, buffers[completed] as string)
      buffers[completed] = ''
      await sink.complete(completed)
    }
  }
  while (heap.length > 0) {
    const r = pop()
    const p = plans[r] as RunPlan
    const c = nextChunk[r] as number
    const from = Math.floor(p.lines * c / (chunks[r] as number))
    const to = Math.floor(p.lines * (c + 1) / (chunks[r] as number))
    const t0 = chunkStart(r, c)
    // Chunks come in start order: no later line falls in a day that ended by this chunk's start.
    await completeBefore(Math.floor((t0 - spanStart) / DAY_US))
    const t1 = c + 1 < (chunks[r] as number) ? chunkStart(r, c + 1) : p.lastMicros + 1
    const step = Math.max(1, Math.floor((t1 - t0) / Math.max(1, to - from)))
    const prefix = `${p.group}\t${p.kind}\t${p.id}\t`
    let micros = t0
    const truncate = p.precision === 3 ? (us: number): number => us - us % 1000 : (us: number): number => us
    let nanos = 0
    for (let i = from; i < to; i++) {
      // Lines come in bursts, as a request or a training step writes several: a new burst starts at about
      // one line in three, one line in seven shares the previous line's timestamp, and the others follow
      // it within 2 ms. Times never go back, nor past the chunk's end.
      const u = random()
      if (i === from || u < 0.3) {
        micros = truncate(Math.max(micros, t0 + (i - from) * step + Math.floor(random() * step)))
        nanos = p.precision === 9 ? Math.floor(random() * 1000) : 0
      } else if (u >= 0.45) {
        micros = truncate(Math.max(micros, Math.min(t1 - 1, micros + 1 + Math.floor(random() * 2000))))
        nanos = p.precision === 9 ? Math.floor(random() * 1000) : 0
      }
      const day = Math.floor((micros - spanStart) / DAY_US)
      if (day !== dayPrefixFor) {
        dayPrefixFor = day
        dayPrefixOf = dayOf(spec, day)
      }
      const second = Math.floor(micros / 1_000_000)
      if (second !== secondFor) {
        secondFor = second
        const s = second % 86_400
        secondText = `${dayPrefixOf} ${pad2(Math.floor(s / 3600))}:${pad2(Math.floor(s / 60) % 60)}:${pad2(s % 60)}`
      }
      const voice = voices[r] as RunVoice
      const { msg, container, stream } = voice.line(i, micros)
      const pod = p.pods[i % p.pods.length] as string
      buffers[day] += `${prefix}${secondText}.${pad6(micros % 1_000_000)}+00\t${nanos}\t${i}\t${container}\t${pod}\t${stream}\t${msg}\n`
      if (i === 0) { bounds.firstMicros[r] = micros; bounds.firstNanos[r] = nanos }
      if ((buffers[day] as string).length >= 65536) {
        const text = buffers[day] as string
        buffers[day] = ''
        await sink.write(day, text)
      }
    }
    if (to > from) { bounds.lastMicros[r] = micros; bounds.lastNanos[r] = nanos }
    nextChunk[r] = c + 1
    if (c + 1 < (chunks[r] as number)) push(r)
  }
  await completeBefore(spec.days)
  return bounds
}
