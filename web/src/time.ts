// Times in the console are UTC, like the logs. <input type="datetime-local"> holds "YYYY-MM-DDTHH:mm[:ss]"
// with no zone; the console reads and writes it as UTC.

/** An API timestamp (RFC 3339) as an input value in UTC, to the second (rounded down). */
export function toInputValue (rfc3339: string): string {
  return new Date(Date.parse(rfc3339)).toISOString().slice(0, 19)
}

/** An input value (UTC) as RFC 3339 for the API; empty stays undefined. */
export function fromInputValue (value: string): string | undefined {
  if (value === '') return undefined
  return `${value.length === 16 ? value + ':00' : value}Z`
}

/** Now minus `ms`, as an input value. */
export const inputValueBefore = (ms: number): string => new Date(Date.now() - ms).toISOString().slice(0, 19)

/** An API timestamp for reading: "2025-03-10 11:50:00.123456789", the fraction as the API gave it. */
export function displayTime (rfc3339: string): string {
  return rfc3339.replace('T', ' ').replace(/(Z|[+-]\d\d:\d\d)$/, '')
}
