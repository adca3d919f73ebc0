// Runs: the group's deployments and executions, newest first, filtered by kind, id prefix, a time window and labels,
// paged by cursor; checkboxes select runs for an export.
import { describe, getJson, type RunList, type RunSummary } from '../api.js'
import { field, fill, h } from '../dom.js'
import { labelChips, LABELS_PLACEHOLDER, parseLabels } from '../labels.js'
import { announce, type Cleanup } from '../shell.js'
import { currentSession, saveSelection, selectedRuns } from '../session.js'
import { displayTime, fromInputValue, timeInput } from '../time.js'

const runKey = (run: RunSummary): string => `${run.kind}/${run.id}`

export function runsView (main: HTMLElement): Cleanup {
  const controller = new AbortController()
  const selected = selectedRuns()
  const kind = h('select', { name: 'kind' }, h('option', { value: '' }, 'Any'), h('option', { value: 'deployment' }, 'Deployments'), h('option', { value: 'execution' }, 'Executions'))
  const idPrefix = h('input', { name: 'idPrefix', autocomplete: 'off', pattern: '[\\w.\\-]{1,64}', placeholder: 'e.g. d-demo' })
  const start = timeInput('start')
  const end = timeInput('end')
  const labels = h('input', { name: 'labels', autocomplete: 'off', placeholder: LABELS_PLACEHOLDER })
  const error = h('div', { class: 'error', role: 'alert' })
  const body = h('tbody')
  const pageInfo = h('span', { class: 'page-info' })
  const firstPage = h('button', { type: 'button', class: 'secondary' }, 'First page')
  const nextPage = h('button', { type: 'button', class: 'secondary' }, 'Next page')
  const selectionInfo = h('span', { 'data-testid': 'selection-count' })
  const exportSelected = h('a', { href: '#/exports', class: 'button' }, 'Export selected runs')
  const clearSelection = h('button', { type: 'button', class: 'secondary' }, 'Clear selection')

  let cursor: string | undefined
  let page = 1

  const showSelection = (): void => {
    saveSelection(selected)
    selectionInfo.textContent = selected.size === 0 ? 'No runs selected.' : `${selected.size} run${selected.size === 1 ? '' : 's'} selected.`
    exportSelected.hidden = selected.size === 0
    clearSelection.hidden = selected.size === 0
  }

  const row = (run: RunSummary): HTMLTableRowElement => {
    const key = runKey(run)
    const box = h('input', { type: 'checkbox', 'aria-label': `Select ${run.kind} ${run.id}`, checked: selected.has(key) })
    box.addEventListener('change', () => {
      if (box.checked) selected.add(key); else selected.delete(key)
      showSelection()
    })
    return h('tr', {},
      h('td', { class: 'select' }, box),
      h('td', {}, run.kind),
      h('th', { scope: 'row' }, h('a', { href: `#/runs/${run.kind}/${encodeURIComponent(run.id)}` }, run.id)),
      h('td', { class: 'time' }, displayTime(run.firstTimestamp)),
      h('td', { class: 'time' }, displayTime(run.lastTimestamp)),
      h('td', { class: 'number' }, run.lineCount.toLocaleString('en')),
      h('td', {}, labelChips(run.labels ?? {})))
  }

  async function load (next?: string): Promise<void> {
    fill(error)
    const pairs = parseLabels(labels.value)
    if (typeof pairs === 'string') { fill(error, pairs); return }
    const params: Record<string, string | string[] | undefined> = next === undefined
      ? { kind: kind.value, idPrefix: idPrefix.value.trim(), start: fromInputValue(start.value), end: fromInputValue(end.value), label: pairs.map(([k, v]) => `${k}=${v}`), $top: '50' }
      : { cursor: next, $top: '50' }
    try {
      const list = await getJson<RunList>('/v2/lm/runs', params, controller.signal)
      fill(body, ...(list.resources.length === 0 ? [h('tr', {}, h('td', { colspan: 7, class: 'empty' }, 'No runs match these filters.'))] : list.resources.map(row)))
      cursor = list.nextCursor
      nextPage.disabled = cursor === undefined
      firstPage.disabled = page === 1
      pageInfo.textContent = `Page ${page}${cursor === undefined ? ' (last)' : ''}`
      announce(`${list.resources.length} run${list.resources.length === 1 ? '' : 's'} on page ${page}.`)
    } catch (err) {
      if ((err as Error).name === 'AbortError') return
      fill(error, describe(err))
    }
  }

  const filters = h('form', { class: 'filters', 'aria-label': 'Filter runs' },
    field('Kind', kind), field('Id starts with', idPrefix), field('Active from (UTC)', start), field('Active until (UTC)', end),
    field('Labels', labels, 'key=value, comma-separated; all must match'),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Apply'), h('button', { type: 'reset', class: 'secondary' }, 'Reset')))
  filters.addEventListener('submit', (event) => { event.preventDefault(); page = 1; load() })
  filters.addEventListener('reset', () => { setTimeout(() => { page = 1; load() }) })
  firstPage.addEventListener('click', () => { page = 1; load() })
  nextPage.addEventListener('click', () => { page += 1; load(cursor) })
  clearSelection.addEventListener('click', () => {
    selected.clear()
    for (const box of body.querySelectorAll<HTMLInputElement>('input[type=checkbox]')) box.checked = false
    showSelection()
  })

  fill(main,
    h('h1', {}, 'Runs'),
    filters,
    error,
    h('div', { class: 'selection-bar' }, selectionInfo, exportSelected, clearSelection),
    h('div', { class: 'table-scroll' },
      h('table', { class: 'runs' },
        h('caption', {}, `Runs in resource group ${currentSession()?.group ?? ''}, newest first`),
        h('thead', {}, h('tr', {},
          h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Select')),
          h('th', { scope: 'col' }, 'Kind'), h('th', { scope: 'col' }, 'Id'), h('th', { scope: 'col' }, 'First line (UTC)'),
          h('th', { scope: 'col' }, 'Last line (UTC)'), h('th', { scope: 'col', class: 'number' }, 'Lines'), h('th', { scope: 'col' }, 'Labels'))),
        body)),
    h('div', { class: 'pager' }, firstPage, nextPage, pageInfo))
  showSelection()
  load()
  return () => { controller.abort() }
}
