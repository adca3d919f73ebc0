// What an auditor reads first: README.md (every run and file of the archive) and each run's
// execution.json. Pure rendering, no I/O.
import type { ExportFilters, MatchedRun } from '../store/export-jobs.js'
import type { LogFilePart } from './run-files.js'

export interface RunSummary {
  run: MatchedRun
  folder: string
  files: LogFilePart[]
}

export interface ArchiveHeader {
  requestId: string
  group: string
  createdBy: string
  triggeredAt: string
  builtAt: string
  filters: ExportFilters
}

/** A run folder: `<first line's timestamp>_<kind>_<id>`, the timestamp with `-` for `:` and `Z` for UTC. */
export function runFolder (run: MatchedRun): string {
  return `${run.firstTs.replace(/\+00:00$/, 'Z').replaceAll(':', '-')}_${run.kind}_${run.id}`
}

const lineCount = (files: LogFilePart[]): number => files.reduce((n, f) => n + f.lines, 0)

/** The run's first and last line over its files (API timestamps: '+' sorts below digits, so text order is time order). */
function spanOf (files: LogFilePart[]): { first: string | null, last: string | null } {
  const firsts = files.map((f) => f.firstLineAt).sort()
  const lasts = files.map((f) => f.lastLineAt).sort()
  return { first: firsts[0] ?? null, last: lasts[lasts.length - 1] ?? null }
}

export function executionJson (header: ArchiveHeader, summary: RunSummary): string {
  const { run, files } = summary
  const span = spanOf(files)
  return JSON.stringify({
    kind: run.kind,
    id: run.id,
    folder: summary.folder,
    resourceGroup: header.group,
    labels: run.labels ?? {},
    exportRequestId: header.requestId,
    range: { start: header.filters.start, end: header.filters.end },
    firstLineAt: span.first,
    lastLineAt: span.last,
    lineCount: lineCount(files),
    files: files.map((f) => ({
      path: f.name,
      pod: f.pod,
      container: f.container,
      part: f.part,
      parts: f.parts,
      lines: f.lines,
      bytes: f.bytes,
      sha256: f.sha256,
      firstLineAt: f.firstLineAt,
      lastLineAt: f.lastLineAt
    }))
  }, null, 2) + '\n'
}

/** The run conditions of the request (labels, ids, run times), one line each. */
function conditionLines (f: ExportFilters): string[] {
  return [
    ...(f.labels ?? []).map((c) => `- Label ${c.key} ${c.operator === 'IN' ? 'in' : 'not in'}: ${c.values.join(', ')}`),
    ...(f.runIds ?? []).map((c) => `- Run id ${c.operator === 'IN' ? 'in' : 'not in'}: ${c.values.join(', ')}`),
    ...(f.times ?? []).map((c) => `- ${c.field} ${c.operator.toLowerCase()} ${new Date(c.epochMs).toISOString()}`)
  ]
}

// Markdown table cells: a pipe or line break would end the cell.
const cell = (value: string | number): string => String(value).replace(/\|/g, '\\|').replace(/[\r\n]+/g, ' ')

export function readme (header: ArchiveHeader, runs: RunSummary[]): string {
  const f = header.filters
  const out = [
    `# Logs export ${header.requestId}`,
    '',
    `- Resource group: ${header.group}`,
    `- Requested by: ${header.createdBy === '' ? '(no subject)' : header.createdBy}`,
    `- Requested at: ${header.triggeredAt}`,
    `- Built at: ${header.builtAt}`,
    `- Range: ${f.start} (inclusive) to ${f.end} (exclusive)`,
    `- Deployments listed: ${f.deploymentIds === undefined ? '(any)' : f.deploymentIds.join(', ') || '(none)'}`,
    `- Executions listed: ${f.executionIds === undefined ? '(any)' : f.executionIds.join(', ') || '(none)'}`,
    ...conditionLines(f),
    `- Runs: ${runs.length}; log files: ${runs.reduce((n, r) => n + r.files.length, 0)}; lines: ${runs.reduce((n, r) => n + lineCount(r.files), 0)}`,
    '',
    'Each log line reads `<timestamp> <stream> <msg>`, in time order (ties in the order they were written);',
    'line breaks and backslashes inside a message are written as `\\n`, `\\r` and `\\\\`. Run',
    '`sha256sum -c MANIFEST.sha256` in this folder to check every file.',
    ''
  ]
  if (runs.length === 0) {
    out.push('No run matched these filters when the export was requested: this archive holds no log file.', '')
    return out.join('\n')
  }
  out.push('## Runs', '', '| folder | kind | id | first line | last line | lines | files |', '|---|---|---|---|---|---|---|')
  for (const r of runs) {
    const span = spanOf(r.files)
    out.push(`| ${cell(r.folder)} | ${r.run.kind} | ${cell(r.run.id)} | ${span.first ?? '-'} | ${span.last ?? '-'} | ${lineCount(r.files)} | ${r.files.length} |`)
  }
  out.push('', '## Files', '', '| file | pod | container | part | lines | bytes | sha256 |', '|---|---|---|---|---|---|---|')
  for (const r of runs) {
    for (const x of r.files) {
      out.push(`| ${cell(`${r.folder}/${x.name}`)} | ${cell(x.pod)} | ${cell(x.container)} | ${x.part}/${x.parts} | ${x.lines} | ${x.bytes} | ${x.sha256} |`)
    }
  }
  out.push('')
  return out.join('\n')
}
