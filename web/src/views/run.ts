// A run: its lines (time, pod, container, stream, message) in a time range, with filters and cursor paging,
// and a follow toggle that tails new lines over SSE. Messages wrap; ANSI colours show as colour.
import { describe, getJson, logsPath, queryString, type LogLine, type LogsPage, type RunKind, type RunList, type RunSummary } from '../api.js'
import { renderAnsi } from '../ansi.js'
import { field, fill, h } from '../dom.js'
import { announce, type Cleanup } from '../shell.js'
import { followEvents, type FollowHandle } from '../sse.js'
import { displayTime, fromInputValue, inputValueBefore, timeInput, toInputValue } from '../time.js'

// Lines kept on the page while following; older ones leave the top.
const FOLLOW_KEEP = 5000
// The log box ends this far above the window's bottom, and is never lower than MIN_LOG_HEIGHT (px).
const LOG_BOTTOM_GAP = 16
const MIN_LOG_HEIGHT = 240

async function findRun (kind: RunKind, id: string, signal: AbortSignal): Promise<RunSummary | undefined> {
  let cursor: string | undefined
  do {
    const list: RunList = await getJson<RunList>('/v2/lm/runs', cursor === undefined ? { kind, idPrefix: id, $top: '1000' } : { cursor, $top: '1000' }, signal)
    const found = list.resources.find((r) => r.id === id)
    if (found !== undefined) return found
    cursor = list.nextCursor
  } while (cursor !== undefined)
  return undefined
}

function lineRow (line: LogLine): HTMLTableRowElement {
  const stderr = line.stream === 'stderr'
  return h('tr', { class: stderr ? 'stderr' : undefined },
    h('td', { class: 'time' }, displayTime(line.timestamp)),
    h('td', { class: 'pod' }, line.pod),
    h('td', { class: 'container' }, line.container),
    h('td', { class: 'stream' }, stderr ? h('span', { class: 'badge badge-stderr' }, 'stderr') : line.stream),
    h('td', { class: 'msg' }, ...renderAnsi(line.msg)))
}

export function runView (main: HTMLElement, kind: RunKind, id: string): Cleanup {
  const controller = new AbortController()
  let follow: FollowHandle | undefined
  const start = timeInput('start')
  const end = timeInput('end')
  const stream = h('select', { name: 'stream' }, h('option', { value: '' }, 'All'), h('option', { value: 'stdout' }, 'stdout'), h('option', { value: 'stderr' }, 'stderr'))
  const pod = h('input', { name: 'pod', autocomplete: 'off' })
  const container = h('input', { name: 'container', autocomplete: 'off' })
  const contains = h('input', { name: 'text', type: 'search', autocomplete: 'off' })
  const top = h('select', { name: 'top' }, ...['100', '500', '1000', '5000'].map((n) => h('option', { value: n, selected: n === '500' }, n)))
  const order = h('select', { name: 'order' }, h('option', { value: 'asc' }, 'Oldest first'), h('option', { value: 'desc' }, 'Newest first'))
  const summary = h('p', { class: 'summary' })
  const error = h('div', { class: 'error', role: 'alert' })
  const body = h('tbody')
  const scroller = h('div', { class: 'table-scroll log-scroll', tabindex: 0, 'aria-label': 'Log lines' })
  const pageInfo = h('span', { class: 'page-info' })
  // Enabled once a page has loaded and has a page to go to.
  const firstPage = h('button', { type: 'button', class: 'secondary', disabled: true }, 'First page')
  const prevPage = h('button', { type: 'button', class: 'secondary', disabled: true }, 'Previous page')
  const nextPage = h('button', { type: 'button', class: 'secondary', disabled: true }, 'Next page')
  const followButton = h('button', { type: 'button', class: 'toggle', 'aria-pressed': 'false' }, 'Follow live')
  const followInfo = h('span', { class: 'follow-info', 'aria-live': 'polite' })
  let run: RunSummary | undefined
  // Cursors of the pages before the current one (undefined: the first page).
  let history: Array<string | undefined> = []
  let current: string | undefined
  let next: string | undefined

  const filters = (): Record<string, string | undefined> => ({
    stream: stream.value, pod: pod.value, container: container.value, contains: contains.value
  })

  // The log box fits the window below the controls, so the newest lines of a follow are in view; where the
  // controls leave too little room (a narrow window), the box keeps MIN_LOG_HEIGHT and the page scrolls.
  function fitLogBox (): void {
    const top = scroller.getBoundingClientRect().top + window.scrollY
    scroller.style.setProperty('--log-max-height', `${Math.max(MIN_LOG_HEIGHT, Math.floor(window.innerHeight - top - LOG_BOTTOM_GAP))}px`)
  }

  function showRows (lines: LogLine[]): void {
    fill(body, ...(lines.length === 0 ? [h('tr', {}, h('td', { colspan: 5, class: 'empty' }, 'No lines in this range match these filters.'))] : lines.map(lineRow)))
  }

  async function loadPage (cursor: string | undefined): Promise<void> {
    fill(error)
    const params = cursor === undefined
      ? { start: fromInputValue(start.value), end: fromInputValue(end.value), $top: top.value, $order: order.value, ...filters() }
      : { cursor, $top: top.value }
    try {
      const page = await getJson<LogsPage>(logsPath(kind, id), params, controller.signal)
      current = cursor
      next = page.data.nextCursor
      showRows(page.data.result)
      scroller.scrollTop = 0
      const number = history.length + 1
      pageInfo.textContent = `Page ${number}, ${page.data.result.length} line${page.data.result.length === 1 ? '' : 's'}${next === undefined ? ' (last)' : ''}`
      nextPage.disabled = next === undefined
      prevPage.disabled = history.length === 0
      firstPage.disabled = history.length === 0
      announce(pageInfo.textContent)
      fitLogBox()
    } catch (err) {
      if ((err as Error).name === 'AbortError') return
      // No page was read (an unknown run, a refused filter): there is nothing to page through.
      for (const b of [firstPage, prevPage, nextPage]) b.disabled = true
      pageInfo.textContent = ''
      fill(body)
      fill(error, describe(err))
    }
  }

  function stopFollowing (): void {
    follow?.stop()
    follow = undefined
    followButton.setAttribute('aria-pressed', 'false')
    followButton.textContent = 'Follow live'
    followInfo.textContent = ''
    for (const b of [firstPage, prevPage, nextPage]) b.hidden = false
    announce('Stopped following.')
  }

  function startFollowing (): void {
    fill(error)
    fill(body)
    const query = queryString({ follow: 'true', start: fromInputValue(start.value), ...filters() })
    let received = 0
    followButton.setAttribute('aria-pressed', 'true')
    followButton.textContent = 'Stop following'
    for (const b of [firstPage, prevPage, nextPage]) b.hidden = true
    pageInfo.textContent = ''
    followInfo.textContent = 'Following: waiting for lines…'
    announce('Following the run live.')
    fitLogBox()
    if (scroller.getBoundingClientRect().bottom > window.innerHeight) scroller.scrollIntoView({ block: 'end' })
    follow = followEvents(`${logsPath(kind, id)}?${query}`, (event) => {
      const atBottom = scroller.scrollTop + scroller.clientHeight >= scroller.scrollHeight - 40
      if (body.querySelector('td.empty') !== null) fill(body)
      body.appendChild(lineRow(JSON.parse(event.data) as LogLine))
      while (body.rows.length > FOLLOW_KEEP) body.deleteRow(0)
      received += 1
      followInfo.textContent = `Following: ${received} line${received === 1 ? '' : 's'} received.`
      if (atBottom) scroller.scrollTop = scroller.scrollHeight
    }, (err) => {
      stopFollowing()
      fill(error, describe(err))
    })
  }

  followButton.addEventListener('click', () => {
    if (follow !== undefined) { stopFollowing(); history = []; loadPage(undefined) } else startFollowing()
  })

  const applyRange = (from: string, to: string): void => {
    start.value = from
    end.value = to
    form.requestSubmit()
  }
  const presets = h('div', { class: 'presets', role: 'group', 'aria-label': 'Time range presets' },
    h('button', { type: 'button', class: 'secondary', onclick: () => { applyRange(inputValueBefore(15 * 60_000), '') } }, 'Last 15 minutes'),
    h('button', { type: 'button', class: 'secondary', onclick: () => { applyRange(inputValueBefore(3600_000), '') } }, 'Last hour'),
    h('button', { type: 'button', class: 'secondary', onclick: () => { applyRange(inputValueBefore(86400_000), '') } }, 'Last 24 hours'),
    h('button', { type: 'button', class: 'secondary', onclick: () => { if (run !== undefined) applyRange(toInputValue(run.firstTimestamp), '') } }, 'Whole run'))

  const form = h('form', { class: 'filters', 'aria-label': 'Range and filters' },
    field('From (UTC)', start), field('Until (UTC; empty: now)', end), field('Stream', stream), field('Pod', pod), field('Container', container),
    field('Message contains', contains), field('Lines per page', top), field('Order', order),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Apply')))
  form.addEventListener('submit', (event) => {
    event.preventDefault()
    history = []
    if (follow !== undefined) { stopFollowing(); startFollowing() } else loadPage(undefined)
  })
  firstPage.addEventListener('click', () => { history = []; loadPage(undefined) })
  prevPage.addEventListener('click', () => { const back = history.pop(); loadPage(back) })
  nextPage.addEventListener('click', () => { if (next !== undefined) { history.push(current); loadPage(next) } })

  fill(scroller, h('table', { class: 'logs' },
    h('caption', { class: 'visually-hidden' }, `Lines of ${kind} ${id}`),
    h('thead', {}, h('tr', {}, ...['Time (UTC)', 'Pod', 'Container', 'Stream', 'Message'].map((t) => h('th', { scope: 'col' }, t)))),
    body))
  fill(main,
    h('p', { class: 'crumbs' }, h('a', { href: '#/runs' }, '← Runs')),
    h('h1', {}, `${kind === 'deployment' ? 'Deployment' : 'Execution'} `, h('code', {}, id)),
    summary,
    form,
    presets,
    error,
    h('div', { class: 'pager' }, followButton, followInfo, firstPage, prevPage, nextPage, pageInfo),
    scroller)

  fitLogBox()
  window.addEventListener('resize', fitLogBox)

  findRun(kind, id, controller.signal).then((found) => {
    run = found
    if (found === undefined) {
      summary.textContent = `No lines of this ${kind} are stored in this resource group yet.`
      start.value = inputValueBefore(3600_000)
    } else {
      summary.textContent = `First line ${displayTime(found.firstTimestamp)}, last line ${displayTime(found.lastTimestamp)} (UTC); ${found.lineCount.toLocaleString('en')} lines.`
      start.value = toInputValue(found.firstTimestamp)
    }
    loadPage(undefined)
  }, (err: unknown) => {
    if ((err as Error).name !== 'AbortError') fill(error, describe(err))
  })
  return () => { controller.abort(); follow?.stop(); window.removeEventListener('resize', fitLogBox) }
}
