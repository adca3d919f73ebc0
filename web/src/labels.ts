// Run labels in the console: typed as `key=value, key=value` (a key given twice matches either value),
// shown as chips.
import { h } from './dom.js'

const KEY = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,127}$/

/** The pairs of a labels field, or the sentence saying what to fix. */
export function parseLabels (text: string): Array<[string, string]> | string {
  const pairs: Array<[string, string]> = []
  for (const item of text.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    const eq = item.indexOf('=')
    const key = eq <= 0 ? '' : item.slice(0, eq).trim()
    if (!KEY.test(key)) return `"${item}" is not key=value: a key is letters, digits and . _ / - (for example application=shop).`
    pairs.push([key, item.slice(eq + 1).trim()])
  }
  return pairs
}

/** The pairs as the export filter's {key: value | [values]}. */
export function labelFilter (pairs: Array<[string, string]>): Record<string, string[]> {
  const filter: Record<string, string[]> = {}
  for (const [key, value] of pairs) {
    const values = filter[key] ?? []
    if (!values.includes(value)) values.push(value)
    filter[key] = values
  }
  return filter
}

export function labelChips (labels: Record<string, string>): HTMLElement {
  const entries = Object.entries(labels).sort(([a], [b]) => a.localeCompare(b))
  return h('ul', { class: 'chips labels' }, ...entries.map(([key, value]) => h('li', { title: `${key}=${value}` }, `${key}=${value}`)))
}

export const LABELS_PLACEHOLDER = 'e.g. application=shop, environment=prod'
