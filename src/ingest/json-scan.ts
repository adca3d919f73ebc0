// Parses a JSON or NDJSON body once its items and values are counted: one pass over the bytes before
// JSON.parse builds them, which JSON.parse would read anyway, that throws (413) at INGEST_MAX_LINES + 1
// items or past the value budget (src/ingest/item-budget.ts). Exact for valid JSON; invalid JSON is left
// for JSON.parse to refuse.
import { isUtf8 } from 'node:buffer'
import { errors } from '../errors.js'
import { CONTAINER_COST, type ItemBudget } from './item-budget.js'

/** Where a body's items are: keys, and '*' for any element of an array; [] is each top-level value. */
export type ItemPath = ReadonlyArray<string>

const QUOTE = 0x22
const BACKSLASH = 0x5c

interface Frame {
  array: boolean
  /** The path from the root while it can still lead to an item; null once it cannot. */
  path: string[] | null
  /** Objects: the key whose value comes next, when the path is live. */
  key?: string
  /** Objects: a string now is a key. */
  expectKey: boolean
}

const startsWith = (of: ItemPath, path: string[]): boolean => path.every((p, i) => p === of[i])
const equals = (path: string[], of: ItemPath): boolean => path.length === of.length && startsWith(of, path)

/**
 * The index of the quote that ends the string whose opening quote is at `start`. A loop over the bytes:
 * most strings of a body are keys and labels of a few bytes, where a call into Buffer.indexOf per quote
 * cost more than the bytes it skipped.
 */
function stringEnd (body: Buffer, start: number): number {
  const n = body.length
  for (let i = start + 1; i < n; i++) {
    const c = body[i]
    if (c === QUOTE) return i
    if (c === BACKSLASH) i++ // the escaped character, whatever it is
  }
  return n
}

/**
 * Counts the items at `items` and every value into `budget`, which throws when either runs out.
 * `multiple`: the body is a sequence of top-level values (NDJSON).
 */
export function scanJson (body: Buffer, items: ItemPath[], budget: ItemBudget, multiple = false): void {
  const stack: Frame[] = []
  // Inside an item, or off every item path, nothing more is tracked than the count of values.
  const live = (path: string[]): string[] | null => (items.some((p) => path.length < p.length && startsWith(p, path)) ? path : null)
  let rootsSeen = 0
  /** A value starts here: count it, and as an item when its path is one. */
  const valueAt = (cost: number): string[] | null => {
    budget.values(cost)
    const parent = stack[stack.length - 1]
    let path: string[] | null
    if (parent === undefined) {
      if (rootsSeen++ > 0 && !multiple) return null
      path = []
    } else if (parent.path === null) {
      return null
    } else {
      path = [...parent.path, parent.array ? '*' : parent.key ?? '']
    }
    if (items.some((p) => equals(path, p))) budget.item()
    return live(path)
  }
  for (let i = 0; i < body.length; i++) {
    const c = body[i] as number
    const top = stack[stack.length - 1]
    switch (c) {
      case 0x7b: // {
      case 0x5b: // [
        stack.push({ array: c === 0x5b, path: valueAt(CONTAINER_COST), expectKey: c === 0x7b })
        break
      case 0x7d: // }
      case 0x5d: // ]
        stack.pop()
        break
      case 0x2c: // ,
        if (top !== undefined && !top.array) top.expectKey = true
        break
      case 0x3a: // :
        if (top !== undefined) top.expectKey = false
        break
      case QUOTE: {
        const end = stringEnd(body, i)
        if (top !== undefined && !top.array && top.expectKey) {
          if (top.path !== null) top.key = keyText(body, i, end)
        } else {
          valueAt(1)
        }
        i = end
        break
      }
      case 0x20: case 0x09: case 0x0a: case 0x0d:
        break
      default: // a number, true, false or null: one value up to the next delimiter
        valueAt(1)
        while (i + 1 < body.length && !DELIMITERS.has(body[i + 1] as number)) i++
    }
  }
}

const DELIMITERS = new Set([0x2c, 0x3a, 0x5d, 0x7d, 0x5b, 0x7b, QUOTE, 0x20, 0x09, 0x0a, 0x0d])

/** A key as JSON.parse reads it: "\u0064ata" is data. */
function keyText (body: Buffer, start: number, end: number): string {
  const raw = body.toString('utf8', start, end + 1)
  if (!raw.includes('\\')) return raw.slice(1, -1)
  try {
    return JSON.parse(raw) as string
  } catch {
    return ''
  }
}

/** The body as text; bytes that are not UTF-8 would be stored as U+FFFD, so they reject the body. */
function utf8Text (body: Buffer): string {
  if (!isUtf8(body)) throw errors.invalidRequest('The body is not valid UTF-8 text. Nothing was stored.')
  return body.toString('utf8')
}

/**
 * Splits an NDJSON body into parsed values, each line an item of `budget` (counted before any is parsed);
 * a line that is not JSON rejects the body with its index.
 */
export function parseNdjson (body: Buffer, budget: ItemBudget): unknown[] {
  scanJson(body, [[]], budget, true)
  const values: unknown[] = []
  for (const textLine of utf8Text(body).split('\n')) {
    if (textLine.trim() === '') continue
    try {
      values.push(JSON.parse(textLine))
    } catch {
      throw errors.invalidRequest(`Line ${values.length} is not valid JSON. Nothing was stored.`, { index: values.length })
    }
  }
  return values
}

/**
 * Parses a JSON body kept as bytes (the bytes are hashed for Idempotency-Key), once its items (at `items`)
 * and values fit `budget`: a body past INGEST_MAX_LINES is refused before JSON.parse builds any of it.
 */
export function parseJsonBody (body: Buffer, budget: ItemBudget, items: ItemPath[]): unknown {
  if (body.length === 0) throw errors.invalidRequest('The body is empty; send a JSON array of lines.')
  scanJson(body, items, budget)
  const text = utf8Text(body)
  try {
    return JSON.parse(text)
  } catch (err) {
    throw errors.invalidRequest(`The body is not valid JSON (${(err as Error).message}). Nothing was stored.`)
  }
}
