// @ts-check
// HTTP for the CLI: fetch with the bearer token and resource group, and errors turned into exit codes
// (2 for a 4xx, 3 for a 5xx or the network) with the contract's error body told in one line.

export class CliError extends Error {
  /** @param {number} exitCode @param {string} message */
  constructor (exitCode, message) {
    super(message)
    this.exitCode = exitCode
  }
}

export const usage = (/** @type {string} */ message) => new CliError(1, message)

/** @typedef {{ url: string, token: string | undefined, group: string | undefined }} Connection */

/** The one-line error of a non-2xx answer. @param {Response} res */
async function errorOf (res) {
  const text = await res.text().catch(() => '')
  let line = `${res.status} ${res.statusText}`
  try {
    const body = JSON.parse(text)
    const error = body?.error
    if (error !== null && typeof error === 'object') line = `${res.status} ${error.code}: ${error.message}${error.requestId === undefined ? '' : ` (requestId ${error.requestId})`}`
  } catch {
    if (text.trim() !== '') line += `: ${text.trim().split('\n')[0]}`
  }
  return new CliError(res.status >= 500 ? 3 : 2, line.replace(/\s*\n\s*/g, ' '))
}

/**
 * A request to the service; resolves with the 2xx response or throws a CliError.
 * @param {Connection} conn @param {string} path @param {RequestInit & { headers?: Record<string, string> }} [init]
 */
export async function request (conn, path, init = {}) {
  const headers = { ...(init.headers ?? {}) }
  if (conn.token !== undefined) headers.authorization = `Bearer ${conn.token}`
  if (conn.group !== undefined) headers['ai-resource-group'] = conn.group
  let res
  try {
    res = await fetch(new URL(path, conn.url), { ...init, headers })
  } catch (err) {
    const cause = /** @type {{ cause?: { code?: string, message?: string } }} */ (err).cause
    throw new CliError(3, `cannot reach ${conn.url}: ${cause?.code ?? cause?.message ?? /** @type {Error} */ (err).message}`)
  }
  if (!res.ok) throw await errorOf(res)
  return res
}

/**
 * The JSON body of a 2xx answer.
 * @param {Connection} conn @param {string} path @param {RequestInit & { headers?: Record<string, string> }} [init]
 * @returns {Promise<any>}
 */
export async function requestJson (conn, path, init) {
  return await (await request(conn, path, init)).json()
}
