// Splits a migration file into its statements, so each is sent alone: Citus forwards some DDL to the
// workers as the text it was given, and a text holding several statements fails there ("cannot insert
// multiple commands into a prepared statement"). A `;` ends a statement only outside strings, quoted
// names, dollar-quoted bodies and comments.

const DOLLAR_TAG = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/

/** The statements of `script`, in order, each without its `;`; comments and blank text between them dropped. */
export function splitSqlScript (script: string): string[] {
  const statements: string[] = []
  let start = 0
  let i = 0
  const end = (to: number): void => {
    const statement = script.slice(start, to).trim()
    if (stripComments(statement) !== '') statements.push(statement)
  }
  while (i < script.length) {
    const c = script[i] as string
    if (c === ';') {
      end(i)
      start = ++i
    } else {
      i = skipToken(script, i)
    }
  }
  end(script.length)
  return statements
}

/** The index past the token that starts at `i`: a string, quoted name, dollar-quoted body, comment, or one character. */
function skipToken (script: string, i: number): number {
  const c = script[i] as string
  const next = script[i + 1]
  if (c === '-' && next === '-') {
    const eol = script.indexOf('\n', i)
    return eol === -1 ? script.length : eol + 1
  }
  if (c === '/' && next === '*') return skipBlockComment(script, i)
  if (c === "'") return skipQuoted(script, i, "'", isEscapeString(script, i))
  if (c === '"') return skipQuoted(script, i, '"', false)
  if (c === '$' && !isIdentifierChar(script[i - 1])) {
    const tag = DOLLAR_TAG.exec(script.slice(i))?.[0]
    if (tag !== undefined) {
      const close = script.indexOf(tag, i + tag.length)
      if (close === -1) throw new Error(`unterminated dollar-quoted text starting with ${tag}`)
      return close + tag.length
    }
  }
  return i + 1
}

/** Block comments nest in PostgreSQL. */
function skipBlockComment (script: string, i: number): number {
  let depth = 0
  while (i < script.length) {
    if (script.startsWith('/*', i)) { depth++; i += 2 } else if (script.startsWith('*/', i)) {
      depth--
      i += 2
      if (depth === 0) return i
    } else i++
  }
  throw new Error('unterminated /* comment')
}

/** A quoted text closed by `quote`, where a doubled quote stands for itself (and a backslash escapes in E'…'). */
function skipQuoted (script: string, i: number, quote: string, backslashes: boolean): number {
  for (let j = i + 1; j < script.length; j++) {
    const c = script[j]
    if (backslashes && c === '\\') j++
    else if (c === quote) {
      if (script[j + 1] !== quote) return j + 1
      j++
    }
  }
  throw new Error(`unterminated text quoted with ${quote}`)
}

const isIdentifierChar = (c: string | undefined): boolean => c !== undefined && /[A-Za-z0-9_$]/.test(c)
const isEscapeString = (script: string, i: number): boolean => /[eE]/.test(script[i - 1] ?? '') && !isIdentifierChar(script[i - 2])

function stripComments (statement: string): string {
  let out = ''
  for (let i = 0; i < statement.length;) {
    const j = skipToken(statement, i)
    const token = statement.slice(i, j)
    if (!token.startsWith('--') && !token.startsWith('/*')) out += token
    i = j
  }
  return out.trim()
}
