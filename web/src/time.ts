// Times in the console are UTC, like the logs, on a 24-hour clock whatever the browser's locale: the time
// fields are text inputs holding "YYYY-MM-DD HH:mm[:ss]" (a "T" may stand for the space), read as UTC.
// (<input type="datetime-local"> would show the locale's clock, 12-hour with AM/PM in en-US.)
import { h } from './dom.js'

const INPUT_PATTERN = '\\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\\d|3[01])[T ]([01]\\d|2[0-3]):[0-5]\\d(:[0-5]\\d)?'
const INPUT = new RegExp(`^${INPUT_PATTERN}$`)

/** A UTC time field: 24-hour, "YYYY-MM-DD HH:mm:ss", checked by the form before it submits. */
export function timeInput (name: string): HTMLInputElement {
  return h('input', {
    name,
    type: 'text',
    pattern: INPUT_PATTERN,
    placeholder: 'YYYY-MM-DD HH:mm:ss',
    title: 'UTC, 24-hour clock: YYYY-MM-DD HH:mm:ss',
    inputmode: 'numeric',
    autocomplete: 'off',
    spellcheck: 'false',
    size: 19,
    maxlength: 19
  })
}

/** An API timestamp (RFC 3339) as an input value in UTC, to the second (rounded down). */
export function toInputValue (rfc3339: string): string {
  return new Date(Date.parse(rfc3339)).toISOString().slice(0, 19).replace('T', ' ')
}

/** An input value (UTC) as RFC 3339 for the API; empty (or not a time, which the form refuses) stays undefined. */
export function fromInputValue (value: string): string | undefined {
  const trimmed = value.trim()
  if (!INPUT.test(trimmed)) return undefined
  const iso = trimmed.replace(' ', 'T')
  return `${iso.length === 16 ? iso + ':00' : iso}Z`
}

/** Now minus `ms`, as an input value. */
export const inputValueBefore = (ms: number): string => toInputValue(new Date(Date.now() - ms).toISOString())
/** An API timestamp for reading: "2025-03-10 11:50:00.123456789", the fraction as the API gave it. */
export function displayTime (rfc3339: string): string {
  return rfc3339.replace('T', ' ').replace(/(Z|[+-]\d\d:\d\d)$/, '')
}
