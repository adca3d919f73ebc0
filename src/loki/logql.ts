// The LogQL subset this service answers (docs/reading.md): a stream selector over the labels deployment_id,
// execution_id, pod, container and stream with = != =~ !~, line filters |= != |~ !~, and count_over_time,
// rate and sum by/without over them (Grafana's logs volume); also vector(N)+vector(M), Grafana's health
// check. Anything else is a LokiQueryError naming the part that is not supported.
import { compileRegex, type Regex } from './regex.js'

export const LABELS = ['container', 'deployment_id', 'execution_id', 'pod', 'stream'] as const
export type LabelName = typeof LABELS[number]

export type MatchOp = '=' | '!=' | '=~' | '!~'
export type FilterOp = '|=' | '!=' | '|~' | '!~'

export interface LabelMatcher { label: LabelName, op: MatchOp, value: string, regex?: Regex }
export interface LineFilter { op: FilterOp, value: string, regex?: Regex }

export interface LogSelector { matchers: LabelMatcher[], filters: LineFilter[] }

export interface RangeAggregation { kind: 'range', fn: 'count_over_time' | 'rate', selector: LogSelector, rangeNs: bigint }
export interface SumAggregation { kind: 'sum', grouping: { without: boolean, labels: string[] } | undefined, inner: MetricQuery }
export type MetricQuery = RangeAggregation | SumAggregation

export type Query =
  | { kind: 'log', selector: LogSelector }
  | { kind: 'metric', metric: MetricQuery }
  | { kind: 'constant', value: number }

export class LokiQueryError extends Error {}

const DURATION_UNITS: Record<string, bigint> = { ns: 1n, us: 1000n, µs: 1000n, ms: 1_000_000n, s: 1_000_000_000n, m: 60_000_000_000n, h: 3_600_000_000_000n, d: 86_400_000_000_000n, w: 604_800_000_000_000n, y: 31_536_000_000_000_000n }
const DURATION = /^(?:(\d+)(ns|us|µs|ms|s|m|h|d|w|y))+$/
const DURATION_PART = /(\d+)(ns|us|µs|ms|s|m|h|d|w|y)/g

/** A Prometheus duration (1h30m, 15s, 500ms) in nanoseconds, or undefined if it is not one. */
export function parseDuration (text: string): bigint | undefined {
  if (!DURATION.test(text)) return undefined
  let total = 0n
  for (const m of text.matchAll(DURATION_PART)) total += BigInt(m[1] as string) * (DURATION_UNITS[m[2] as string] as bigint)
  return total
}

const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', '"': '"', a: '\x07', b: '\b', f: '\f', v: '\v', "'": "'" }

class Parser {
  private pos = 0
  constructor (private readonly text: string) {}

  fail (problem: string): never {
    throw new LokiQueryError(`parse error at line 1, col ${this.pos + 1}: ${problem}`)
  }

  unsupported (what: string): never {
    throw new LokiQueryError(`${what} is not supported by this service; it answers stream selectors over ${LABELS.join(', ')}, line filters (|= != |~ !~), count_over_time, rate and sum by (...)`)
  }

  skipSpace (): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos] as string)) this.pos++
  }

  peek (token: string): boolean {
    this.skipSpace()
    return this.text.startsWith(token, this.pos)
  }

  eat (token: string): boolean {
    if (!this.peek(token)) return false
    this.pos += token.length
    return true
  }

  expect (token: string): void {
    if (!this.eat(token)) this.fail(`expected ${token}${this.atEnd() ? ' before the end of the query' : ` but found ${JSON.stringify(this.text.slice(this.pos, this.pos + 12))}`}`)
  }

  atEnd (): boolean {
    this.skipSpace()
    return this.pos >= this.text.length
  }

  identifier (): string {
    this.skipSpace()
    const m = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(this.text.slice(this.pos))
    if (m === null) this.fail('expected a label or function name')
    this.pos += m[0].length
    return m[0]
  }

  string (): string {
    this.skipSpace()
    const quote = this.text[this.pos]
    if (quote === '`') {
      const end = this.text.indexOf('`', this.pos + 1)
      if (end === -1) this.fail('unterminated raw string')
      const value = this.text.slice(this.pos + 1, end)
      this.pos = end + 1
      return value
    }
    if (quote !== '"') this.fail('expected a quoted string')
    let value = ''
    for (let i = this.pos + 1; i < this.text.length; i++) {
      const c = this.text[i] as string
      if (c === '"') { this.pos = i + 1; return value }
      if (c === '\\') {
        const next = this.text[++i] ?? ''
        const escaped = ESCAPES[next]
        if (escaped !== undefined) value += escaped
        else if (next === 'u' && /^[0-9a-fA-F]{4}$/.test(this.text.slice(i + 1, i + 5))) { value += String.fromCharCode(parseInt(this.text.slice(i + 1, i + 5), 16)); i += 4 } else { this.pos = i; this.fail(`unknown escape sequence \\${next}`) }
      } else value += c
    }
    return this.fail('unterminated string')
  }

  selector (): LogSelector {
    this.expect('{')
    const matchers: LabelMatcher[] = []
    while (!this.eat('}')) {
      const label = this.identifier()
      this.skipSpace()
      const op = (['=~', '!~', '!=', '='] as MatchOp[]).find((o) => this.eat(o))
      if (op === undefined) this.fail(`expected =, !=, =~ or !~ after ${label}`)
      const value = this.string()
      if (!(LABELS as readonly string[]).includes(label)) this.unsupported(`the label ${label}`)
      matchers.push({ label: label as LabelName, op, value, ...(op === '=~' || op === '!~' ? { regex: this.regex(value, true) } : {}) })
      if (!this.eat(',') && !this.peek('}')) this.fail('expected , or } in the stream selector')
    }
    // Loki's rule: a selector must not match every stream.
    if (!matchers.some((m) => (m.op === '=' && m.value !== '') || (m.op === '=~' && m.regex !== undefined && !m.regex.test('')))) {
      throw new LokiQueryError('queries require at least one regexp or equality matcher that does not have an empty-compatible value. For instance, app=~".*" does not meet this requirement, but app=~".+" will')
    }
    return { matchers, filters: this.pipeline() }
  }

  regex (pattern: string, anchored: boolean): Regex {
    try {
      return compileRegex(pattern, anchored)
    } catch (err) {
      return this.fail(`invalid regular expression ${JSON.stringify(pattern)}: ${(err as Error).message}`)
    }
  }

  pipeline (): LineFilter[] {
    const filters: LineFilter[] = []
    for (;;) {
      this.skipSpace()
      const op = (['|=', '!=', '|~', '!~'] as FilterOp[]).find((o) => this.eat(o))
      if (op !== undefined) {
        const value = this.string()
        filters.push({ op, value, ...(op === '|~' || op === '!~' ? { regex: this.regex(value, false) } : {}) })
        if (this.peek('or ')) this.unsupported('"or" in a line filter')
        continue
      }
      if (this.eat('|')) {
        const stage = this.identifier()
        // Grafana adds `| drop __error__` to its queries: no line here ever carries __error__.
        if (stage === 'drop') {
          do { const name = this.identifier(); if (name !== '__error__' && name !== '__error_details__') this.unsupported(`| drop ${name}`) } while (this.eat(','))
          continue
        }
        this.unsupported(`the pipeline stage | ${stage}`)
      }
      return filters
    }
  }

  metric (): MetricQuery {
    const name = this.identifier()
    if (name === 'count_over_time' || name === 'rate') {
      this.expect('(')
      const selector = this.selector()
      this.expect('[')
      this.skipSpace()
      const end = this.text.indexOf(']', this.pos)
      if (end === -1) this.fail('expected ] after the range')
      const rangeNs = parseDuration(this.text.slice(this.pos, end).trim())
      if (rangeNs === undefined || rangeNs <= 0n) this.fail(`${JSON.stringify(this.text.slice(this.pos, end))} is not a duration such as 5m`)
      this.pos = end + 1
      if (this.peek('offset')) this.unsupported('offset')
      this.expect(')')
      return { kind: 'range', fn: name, selector, rangeNs }
    }
    if (name === 'sum') {
      let grouping = this.grouping()
      this.expect('(')
      const inner = this.metric()
      this.expect(')')
      grouping ??= this.grouping()
      return { kind: 'sum', grouping, inner }
    }
    return this.unsupported(`the function ${name}`)
  }

  grouping (): { without: boolean, labels: string[] } | undefined {
    const without = this.peek('without')
    if (!without && !this.peek('by')) return undefined
    this.identifier()
    this.expect('(')
    const labels: string[] = []
    while (!this.eat(')')) {
      labels.push(this.identifier())
      if (!this.eat(',') && !this.peek(')')) this.fail('expected , or ) in the grouping')
    }
    return { without, labels }
  }

  constant (): number {
    let total = 0
    do {
      this.expect('vector')
      this.expect('(')
      this.skipSpace()
      const m = /^-?\d+(\.\d+)?/.exec(this.text.slice(this.pos))
      if (m === null) this.fail('expected a number')
      this.pos += m[0].length
      total += Number(m[0])
      this.expect(')')
    } while (this.eat('+'))
    return total
  }

  query (): Query {
    let query: Query
    if (this.peek('{')) query = { kind: 'log', selector: this.selector() }
    else if (this.peek('vector')) query = { kind: 'constant', value: this.constant() }
    else query = { kind: 'metric', metric: this.metric() }
    if (!this.atEnd()) {
      if (/^[-+*/%^]|^(and|or|unless|>|<|==)/.test(this.text.slice(this.pos))) this.unsupported('binary operations between queries')
      this.fail(`unexpected ${JSON.stringify(this.text.slice(this.pos, this.pos + 12))}`)
    }
    return query
  }
}

export function parseLogQL (text: string): Query {
  if (text.trim() === '') throw new LokiQueryError('the query is empty')
  return new Parser(text).query()
}

/** The log selector under a metric query. */
export function selectorOf (metric: MetricQuery): LogSelector {
  return metric.kind === 'range' ? metric.selector : selectorOf(metric.inner)
}
