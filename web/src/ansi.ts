// ANSI escape codes in log messages: SGR colours and bold/italic/underline become styled spans; every other
// escape sequence and control character is dropped, so no raw escape byte ever reaches the page.

// eslint-disable-next-line no-control-regex -- escape codes are what this module is about
const SGR = /\x1b\[([0-9;]*)m/g
// CSI sequences other than SGR, OSC (terminated by BEL or ST), and two-byte escapes.
// eslint-disable-next-line no-control-regex -- as above
const OTHER_ESCAPES = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]?/g
// C0 controls but tab and newline, and DEL.
// eslint-disable-next-line no-control-regex -- as above
const CONTROLS = /[\x00-\x08\x0b-\x1f\x7f]/g

interface Style { fg?: number | string, bg?: number | string, bold?: boolean, dim?: boolean, italic?: boolean, underline?: boolean }

const clean = (text: string): string => text.replace(OTHER_ESCAPES, '').replace(CONTROLS, '')

// xterm's 256-colour cube and greys, for 38;5;n beyond the 16 named colours.
function color256 (n: number): string {
  if (n >= 232) { const v = 8 + (n - 232) * 10; return `rgb(${v}, ${v}, ${v})` }
  const i = n - 16
  const level = (x: number): number => (x === 0 ? 0 : 55 + x * 40)
  return `rgb(${level(Math.floor(i / 36))}, ${level(Math.floor(i / 6) % 6)}, ${level(i % 6)})`
}

function applyCodes (style: Style, codes: number[]): Style {
  const next: Style = { ...style }
  for (let i = 0; i < codes.length; i++) {
    const c = codes[i] as number
    if (c === 0) { for (const k of Object.keys(next)) delete next[k as keyof Style] } else if (c === 1) next.bold = true
    else if (c === 2) next.dim = true
    else if (c === 3) next.italic = true
    else if (c === 4) next.underline = true
    else if (c === 22) { next.bold = false; next.dim = false } else if (c === 23) next.italic = false
    else if (c === 24) next.underline = false
    else if ((c >= 30 && c <= 37) || (c >= 90 && c <= 97)) next.fg = c >= 90 ? c - 90 + 8 : c - 30
    else if (c === 39) delete next.fg
    else if ((c >= 40 && c <= 47) || (c >= 100 && c <= 107)) next.bg = c >= 100 ? c - 100 + 8 : c - 40
    else if (c === 49) delete next.bg
    else if ((c === 38 || c === 48) && codes[i + 1] === 5) {
      const n = codes[i + 2] ?? 0
      const value = n < 16 ? n : color256(n)
      if (c === 38) next.fg = value; else next.bg = value
      i += 2
    } else if ((c === 38 || c === 48) && codes[i + 1] === 2) {
      const value = `rgb(${codes[i + 2] ?? 0}, ${codes[i + 3] ?? 0}, ${codes[i + 4] ?? 0})`
      if (c === 38) next.fg = value; else next.bg = value
      i += 4
    }
  }
  return next
}

function styled (text: string, style: Style): Node {
  const plain = Object.values(style).every((v) => v === undefined || v === false)
  if (plain) return document.createTextNode(text)
  const span = document.createElement('span')
  span.textContent = text
  if (typeof style.fg === 'number') span.classList.add(`ansi-fg-${style.fg}`)
  // Set through the CSSOM, which the Content-Security-Policy allows (style attributes it would not).
  else if (typeof style.fg === 'string') span.style.color = style.fg
  if (typeof style.bg === 'number') span.classList.add(`ansi-bg-${style.bg}`)
  else if (typeof style.bg === 'string') span.style.backgroundColor = style.bg
  if (style.bold === true) span.classList.add('ansi-bold')
  if (style.dim === true) span.classList.add('ansi-dim')
  if (style.italic === true) span.classList.add('ansi-italic')
  if (style.underline === true) span.classList.add('ansi-underline')
  return span
}

/** The message as nodes: text, and spans for coloured stretches. */
export function renderAnsi (message: string): Node[] {
  if (!message.includes('\x1b')) return [document.createTextNode(message.replace(CONTROLS, ''))]
  const nodes: Node[] = []
  let style: Style = {}
  let last = 0
  for (const m of message.matchAll(SGR)) {
    const text = clean(message.slice(last, m.index))
    if (text !== '') nodes.push(styled(text, style))
    const codes = (m[1] ?? '') === '' ? [0] : (m[1] as string).split(';').map((n) => Number(n === '' ? 0 : n))
    style = applyCodes(style, codes)
    last = m.index + m[0].length
  }
  const rest = clean(message.slice(last))
  if (rest !== '') nodes.push(styled(rest, style))
  return nodes
}
