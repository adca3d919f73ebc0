// Regular expressions of LogQL through re2js, a pure-JavaScript port of RE2: matching takes time linear in
// the input, so no pattern can backtrack catastrophically (Loki uses Go's RE2 for the same reason).
import { RE2JS } from 're2js'

export interface Regex { test: (text: string) => boolean }

/** Label matchers are anchored at both ends (Prometheus' rule); line filters match anywhere in the line. */
export function compileRegex (pattern: string, anchored: boolean): Regex {
  const compiled = RE2JS.compile(pattern)
  return anchored
    ? { test: (text) => compiled.matches(text) }
    : { test: (text) => compiled.matcher(text).find() }
}
