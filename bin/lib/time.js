// @ts-check
// --since durations (30s, 15m, 1h, 2d, 1h30m) to an RFC 3339 start.
import { usage } from './client.js'

const UNITS = /** @type {Record<string, number>} */ ({ ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 })

/** @param {string} text @returns {number} milliseconds */
export function parseDuration (text) {
  if (!/^(\d+(ms|s|m|h|d|w))+$/.test(text)) throw usage(`--since ${text}: a duration such as 30s, 15m, 1h or 2d`)
  let total = 0
  for (const m of text.matchAll(/(\d+)(ms|s|m|h|d|w)/g)) total += Number(m[1]) * /** @type {number} */ (UNITS[/** @type {string} */ (m[2])])
  return total
}

/** @param {string} since */
export const sinceStart = (since) => new Date(Date.now() - parseDuration(since)).toISOString()
