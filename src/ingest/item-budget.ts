// What one ingest body may hold, counted while it is decoded, so a small compressed body that expands to
// millions of items stops at INGEST_MAX_LINES + 1 instead of being decoded whole first. Any decoder uses it
// (the JSON scanner in src/ingest/json-scan.ts, the Loki protobuf reader): `item()` per line, record or
// entry; `values(n)` per decoded value, so nesting outside the items is bounded too.
import { errors } from '../errors.js'

/** A container (object, array, message) costs a decoder several times what a string or number does. */
export const CONTAINER_COST = 4

export type ItemNoun = 'lines' | 'records' | 'entries'

export class ItemBudget {
  private items = 0
  private spent = 0
  /** Values (weighted) a legitimate batch of maxItems items within maxBytes can need; past it the body is refused. */
  readonly maxValues: number

  constructor (readonly maxItems: number, maxBytes: number, private readonly noun: ItemNoun = 'lines') {
    // At least 8 per item (a Loki entry ["<ns>","<line>"] is 6, a minimal line object 6); up to 32 per item
    // (shippers' records nest metadata) as long as that stays under one value per 8 bytes of the byte limit,
    // the densest real batches' rate (a hostile body of `{}` has 4 per 3 bytes).
    this.maxValues = Math.max(8 * (maxItems + 1), Math.min(32 * (maxItems + 1), Math.floor(maxBytes / 8))) + 4096
  }

  /** One more line, record or entry: the one past maxItems refuses the body (413). */
  item (): void {
    if (++this.items > this.maxItems) {
      throw errors.payloadTooLarge(`The batch has more than ${this.maxItems} ${this.noun}; at most ${this.maxItems} are accepted in one request (INGEST_MAX_LINES).`,
        { maxLines: this.maxItems })
    }
  }

  /** `cost` more decoded values (CONTAINER_COST for an object or array, 1 for a string or number). */
  values (cost: number): void {
    this.spent += cost
    if (this.spent > this.maxValues) {
      throw errors.payloadTooLarge(`The body holds more JSON values (objects, arrays, strings, numbers) than ${this.maxItems} ${this.noun} of INGEST_MAX_BYTES can need; send smaller batches.`,
        { maxLines: this.maxItems })
    }
  }

  get count (): number { return this.items }
}
