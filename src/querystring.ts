// A query-string parser that keeps '+' as '+'. SAP's JS client sends `start=...T00:00:00+02:00` with the
// offset's '+' unencoded; the WHATWG form rule (and Fastify's default parser) would turn it into a space.

export type ParsedQuery = Record<string, string | string[]>

function decode (part: string): string {
  try {
    return decodeURIComponent(part)
  } catch {
    return part // malformed %-escape: kept as sent, so validation names the parameter
  }
}

export function parseQueryString (query: string): ParsedQuery {
  const result: ParsedQuery = Object.create(null) as ParsedQuery
  if (query === '') return result
  for (const pair of query.split('&')) {
    if (pair === '') continue
    const eq = pair.indexOf('=')
    const key = decode(eq === -1 ? pair : pair.slice(0, eq))
    const value = eq === -1 ? '' : decode(pair.slice(eq + 1))
    const previous = result[key]
    if (previous === undefined) result[key] = value
    else if (Array.isArray(previous)) previous.push(value)
    else result[key] = [previous, value]
  }
  return result
}
