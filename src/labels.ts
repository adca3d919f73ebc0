// Run labels (string → string, e.g. Harness's application, service, environment) and the conditions that
// select runs by them, by id and by time: shared by the run listing, REST exports and the GraphQL mutation.
// Pure rules, no I/O.

export type Labels = Record<string, string>

/** Letters, digits and `._/-`, starting with a letter or digit: Kubernetes' `app.kubernetes.io/name` fits. */
const LABEL_KEY_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,127}$/
const LABEL_VALUE_MAX_CHARS = 256
export const MAX_LABELS_PER_RUN = 64
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/

export const LABEL_KEY_RULE = '1 to 128 letters, digits, dots, underscores, slashes or dashes, starting with a letter or digit'
export const LABEL_VALUE_RULE = `at most ${LABEL_VALUE_MAX_CHARS} characters, no control characters`

export const isLabelKey = (key: string): boolean => LABEL_KEY_PATTERN.test(key)
export const isLabelValue = (value: unknown): value is string =>
  typeof value === 'string' && value.length <= LABEL_VALUE_MAX_CHARS && !CONTROL.test(value)

/** A run matches when its label `key` is (IN) or is not (NOT_IN, also when absent) one of `values`. */
export interface LabelCondition { key: string, operator: 'IN' | 'NOT_IN', values: string[] }
/** Run ids (of either kind). */
export interface RunIdCondition { operator: 'IN' | 'NOT_IN', values: string[] }
/** startTime: the run's first line; endTime: its last line; creationTime: when it was first written. */
export type RunTimeField = 'startTime' | 'endTime' | 'creationTime'
export interface TimeCondition { field: RunTimeField, operator: 'AFTER' | 'BEFORE' | 'EQUALS', epochMs: number }

/** Conditions on runs beyond the line range; every one must hold. */
export interface RunConditions {
  labels?: LabelCondition[]
  runIds?: RunIdCondition[]
  times?: TimeCondition[]
}

/** `key=value` pairs (GET /v2/lm/runs?label=...) as conditions: one key given twice matches either value. */
export function labelPairsToConditions (pairs: Array<[string, string]>): LabelCondition[] {
  const byKey = new Map<string, string[]>()
  for (const [key, value] of pairs) {
    const values = byKey.get(key) ?? []
    if (!values.includes(value)) values.push(value)
    byKey.set(key, values)
  }
  return [...byKey].map(([key, values]) => ({ key, operator: 'IN', values }))
}

/** Splits `key=value` at the first `=`; undefined when the key or value breaks the rules. */
export function parseLabelPair (text: string): [string, string] | undefined {
  const eq = text.indexOf('=')
  if (eq <= 0) return undefined
  const key = text.slice(0, eq)
  const value = text.slice(eq + 1)
  return isLabelKey(key) && isLabelValue(value) ? [key, value] : undefined
}

export interface LabelChange { set: Labels, remove: string[] }

/** A PATCH's labels (null removes), checked; throws with the problem's description. */
export function labelChangeOf (labels: Record<string, string | null>): LabelChange {
  const change: LabelChange = { set: {}, remove: [] }
  for (const [key, value] of Object.entries(labels)) {
    if (!isLabelKey(key)) throw new LabelError(`label key ${JSON.stringify(key.slice(0, 140))} must be ${LABEL_KEY_RULE}`, key)
    if (value === null) change.remove.push(key)
    else if (!isLabelValue(value)) throw new LabelError(`label ${key} must be a string of ${LABEL_VALUE_RULE}, or null to remove it`, key)
    else change.set[key] = value
  }
  return change
}

export class LabelError extends Error {
  constructor (message: string, readonly key: string) { super(message) }
}
