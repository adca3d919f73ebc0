// @ts-check
// Output, a line at a time, so `| grep` sees each line as it comes; a closed pipe (`| head`) ends quietly.

process.stdout.on('error', (err) => {
  if (/** @type {NodeJS.ErrnoException} */ (err).code === 'EPIPE') process.exit(0)
  throw err
})

/** @param {string} text */
export async function writeOut (text) {
  if (!process.stdout.write(text)) await new Promise((resolve) => process.stdout.once('drain', resolve))
}

/** @typedef {{ timestamp: string, stream: string, pod: string, container: string, msg: string }} LogItem */

/**
 * @param {'text' | 'ndjson' | 'json'} format
 * @param {{ prefix: boolean, timestamps: boolean }} opts
 * @returns {(item: LogItem) => string}
 */
export function lineFormatter (format, opts) {
  if (format === 'ndjson') return (item) => JSON.stringify(item) + '\n'
  return (item) => `${opts.prefix ? `[${item.pod}/${item.container}] ` : ''}${opts.timestamps ? `${item.timestamp} ` : ''}${item.msg}\n`
}

/** A progress bar on stderr, only when stderr is a terminal; nothing otherwise. */
export class Progress {
  /** @param {string} label */
  constructor (label) {
    this.label = label
    this.tty = process.stderr.isTTY === true
  }

  /** @param {number} done @param {number | undefined} total @param {string} [unit] */
  update (done, total, unit = '') {
    if (!this.tty) return
    const width = 30
    const bar = total === undefined || total === 0 ? '' : `[${'#'.repeat(Math.round(width * Math.min(done / total, 1))).padEnd(width, '.')}] `
    process.stderr.write(`\r${this.label} ${bar}${done}${total === undefined ? '' : `/${total}`}${unit}\u001b[K`)
  }

  /** @param {string} [message] */
  end (message) {
    if (this.tty) process.stderr.write(`\r\u001b[K${message === undefined ? '' : message + '\n'}`)
  }
}
