// Exports: make an archive of the selected runs (or of every run with lines in a range, or with labels),
// choose the user groups to notify, as Harness's Export Deployment Logs dialog does, and follow the group's
// exports as they build: status, a progress bar of runs written, the download link when READY, the error
// when FAILED, and each notification's delivery. The list refreshes itself, quickly while one is pending.
import { describe, getJson, postJson, type ExportList, type ExportObject, type UserGroup } from '../api.js'
import { field, fill, h } from '../dom.js'
import { labelFilter, LABELS_PLACEHOLDER, parseLabels } from '../labels.js'
import { announce, type Cleanup } from '../shell.js'
import { saveSelection, selectedRuns } from '../session.js'
import { displayTime, fromInputValue, timeInput } from '../time.js'

const BUSY_REFRESH_MS = 1000
const IDLE_REFRESH_MS = 10_000
// The earliest instant the service stores: an export from it starts at the earliest line.
const EARLIEST = '0001-01-01T00:00:00Z'

function statusCell (e: ExportObject): HTMLElement {
  return h('span', { class: `badge badge-${e.status.toLowerCase()}` }, e.status === 'QUEUED' ? 'Building' : e.status === 'READY' ? 'Ready' : e.status === 'FAILED' ? 'Failed' : 'Expired')
}

function progressCell (e: ExportObject): HTMLElement {
  const { runsWritten, totalExecutions } = e.progress
  const label = `${runsWritten} of ${totalExecutions} run${totalExecutions === 1 ? '' : 's'} written`
  return h('div', { class: 'progress' },
    h('progress', { max: Math.max(totalExecutions, 1), value: e.status === 'READY' ? Math.max(totalExecutions, 1) : runsWritten, 'aria-label': label }),
    h('span', {}, label))
}

function outcomeCell (e: ExportObject): HTMLElement | string {
  if (e.status === 'READY' && e.downloadLink !== null) {
    return h('span', {}, h('a', { href: e.downloadLink, download: `logs-export-${e.requestId}.tar.gz`, class: 'button' }, 'Download archive'),
      e.expiresAt === null ? null : h('span', { class: 'hint' }, ` until ${displayTime(e.expiresAt)} UTC`))
  }
  if (e.status === 'FAILED') return h('span', { class: 'failure' }, e.errorMessage ?? 'The export failed.')
  if (e.status === 'EXPIRED') return h('span', { class: 'hint' }, 'Expired: the archive was deleted. Request a new export.')
  return h('span', { class: 'hint' }, 'Being built…')
}

function scopeOf (e: ExportObject): string {
  const runs = [...(e.filters.deploymentIds ?? []), ...(e.filters.executionIds ?? [])]
  const named = runs.length === 0 ? 'every run' : runs.length <= 3 ? runs.join(', ') : `${runs.slice(0, 3).join(', ')} and ${runs.length - 3} more`
  const labels = (e.filters.labels ?? []).map((c) => `${c.key}${c.operator === 'IN' ? '=' : '≠'}${c.values.join('|')}`)
  const from = e.filters.start.startsWith(EARLIEST.slice(0, 5)) ? 'the earliest line' : displayTime(e.filters.start)
  return `${named}${labels.length === 0 ? '' : ` with ${labels.join(', ')}`}; ${from} to ${displayTime(e.filters.end)}`
}

const NOTIFICATION_WORDS = { PENDING: 'pending', SENT: 'sent', FAILED: 'failed' } as const

function notificationsCell (e: ExportObject): HTMLElement | string {
  if (e.notifications.length === 0) return h('span', { class: 'hint' }, 'Nobody')
  return h('ul', { class: 'notifications' }, ...e.notifications.map((n) => h('li', {
    'data-target': n.target,
    'data-status': n.status,
    title: n.lastError === null ? `${n.attempts} attempt${n.attempts === 1 ? '' : 's'}` : `${n.attempts} attempts; last error: ${n.lastError}`
  }, `${n.target}: ${NOTIFICATION_WORDS[n.status]}`)))
}

export function exportsView (main: HTMLElement): Cleanup {
  let timer: ReturnType<typeof setTimeout> | undefined
  let stopped = false
  const selected = selectedRuns()
  const known = new Map<string, string>()
  const start = timeInput('start')
  const end = timeInput('end')
  const labels = h('input', { name: 'labels', autocomplete: 'off', placeholder: LABELS_PLACEHOLDER })
  const groups = h('div', { class: 'user-groups', role: 'group', 'aria-label': 'User groups to notify' }, h('span', { class: 'hint' }, 'Loading user groups…'))
  const onlyMe = h('input', { type: 'checkbox', name: 'notifyOnlyTriggeringUser' })
  const chosen = h('ul', { class: 'chips', 'aria-label': 'Runs to export' })
  const formError = h('div', { class: 'error', role: 'alert' })
  const listError = h('div', { class: 'error', role: 'alert' })
  const body = h('tbody')
  const submit = h('button', { type: 'submit' }, 'Create export')

  function showChosen (): void {
    saveSelection(selected)
    if (selected.size === 0) {
      fill(chosen, h('li', { class: 'hint' }, 'No runs selected (select them on the Runs page): the export takes every run with lines in the range and the labels.'))
      return
    }
    fill(chosen, ...[...selected].sort().map((key) => h('li', {}, key,
      h('button', { type: 'button', class: 'link', 'aria-label': `Remove ${key}`, onclick: () => { selected.delete(key); showChosen() } }, '×'))))
  }

  async function loadGroups (): Promise<void> {
    try {
      const list = await getJson<{ resources: UserGroup[] }>('/v2/lm/user-groups')
      if (stopped) return
      fill(groups, ...(list.resources.length === 0
        ? [h('span', { class: 'hint' }, 'No user groups are configured for this resource group (the operator\'s USER_GROUPS_FILE).')]
        : list.resources.map((g) => h('label', { class: 'check' },
          h('input', { type: 'checkbox', name: 'userGroupIds', value: g.id }),
          ` ${g.name} `,
          h('span', { class: 'hint' }, [g.emailCount > 0 ? `${g.emailCount} email${g.emailCount === 1 ? '' : 's'}` : '', g.slack ? 'Slack' : ''].filter(Boolean).join(', '))))))
    } catch (err) {
      if (!stopped) fill(groups, h('span', { class: 'error' }, describe(err)))
    }
  }

  async function refresh (): Promise<void> {
    clearTimeout(timer)
    let busy = false
    try {
      const list = await getJson<ExportList>('/v2/lm/exports', { $top: '50' })
      if (stopped) return
      fill(listError)
      fill(body, ...(list.resources.length === 0
        ? [h('tr', {}, h('td', { colspan: 6, class: 'empty' }, 'No exports in this resource group yet.'))]
        : list.resources.map((e) => h('tr', { 'data-export': e.requestId, 'data-status': e.status },
          h('td', { class: 'time' }, displayTime(e.triggeredAt)),
          h('td', {}, scopeOf(e)),
          h('td', {}, statusCell(e)),
          h('td', {}, progressCell(e)),
          h('td', {}, outcomeCell(e)),
          h('td', {}, notificationsCell(e))))))
      for (const e of list.resources) {
        const before = known.get(e.requestId)
        if (before === 'QUEUED' && e.status !== 'QUEUED') announce(`Export of ${scopeOf(e)} is ${e.status === 'READY' ? 'ready to download' : e.status.toLowerCase()}.`)
        known.set(e.requestId, e.status)
      }
      busy = list.resources.some((e) => e.status === 'QUEUED' || e.notifications.some((n) => n.status === 'PENDING'))
    } catch (err) {
      if (stopped) return
      fill(listError, describe(err))
    }
    if (!stopped) timer = setTimeout(() => { refresh() }, busy ? BUSY_REFRESH_MS : IDLE_REFRESH_MS)
  }

  const form = h('form', { class: 'card', 'aria-labelledby': 'new-export' },
    h('h2', { id: 'new-export' }, 'New export'),
    chosen,
    h('div', { class: 'filters' }, field('From (UTC; empty: the earliest line)', start), field('Until (UTC; empty: now)', end),
      field('Labels', labels, 'key=value, comma-separated: only runs with all of them')),
    h('fieldset', { class: 'notify' }, h('legend', {}, 'Notify when ready'), groups,
      h('label', { class: 'check' }, onlyMe, ' Only me (the email of my token)')),
    formError,
    h('div', { class: 'actions' }, submit))
  form.addEventListener('submit', (event) => {
    event.preventDefault()
    fill(formError)
    const deploymentIds = [...selected].filter((k) => k.startsWith('deployment/')).map((k) => k.slice('deployment/'.length))
    const executionIds = [...selected].filter((k) => k.startsWith('execution/')).map((k) => k.slice('execution/'.length))
    const pairs = parseLabels(labels.value)
    if (typeof pairs === 'string') { fill(formError, pairs); return }
    const filters = {
      ...(pairs.length > 0 ? { labels: labelFilter(pairs) } : {}),
      ...(deploymentIds.length > 0 ? { deploymentIds } : {}),
      ...(executionIds.length > 0 ? { executionIds } : {}),
      ...(fromInputValue(start.value) === undefined ? {} : { start: fromInputValue(start.value) }),
      ...(fromInputValue(end.value) === undefined ? {} : { end: fromInputValue(end.value) })
    }
    // Nothing chosen means what the hints say: every run, from the earliest line until now. The API wants at
    // least one filter, so the earliest instant it stores is sent as the start (the end defaults to now).
    if (Object.keys(filters).length === 0) Object.assign(filters, { start: EARLIEST })
    submit.disabled = true
    const userGroupIds = [...groups.querySelectorAll<HTMLInputElement>('input[name=userGroupIds]:checked')].map((box) => box.value)
    const notify = onlyMe.checked ? { notifyOnlyTriggeringUser: true } : userGroupIds.length > 0 ? { userGroupIds } : {}
    postJson<ExportObject>('/v2/lm/exports', { filters, ...notify }).then((created) => {
      known.set(created.requestId, created.status)
      announce(`Export requested: ${created.totalExecutions} run${created.totalExecutions === 1 ? '' : 's'}.`)
      selected.clear()
      showChosen()
      return refresh()
    }, (err: unknown) => { fill(formError, describe(err)) }).finally(() => { submit.disabled = false })
  })

  fill(main,
    h('h1', {}, 'Exports'),
    form,
    h('h2', {}, 'Exports of this group'),
    listError,
    h('div', { class: 'table-scroll' },
      h('table', { class: 'exports' },
        h('caption', { class: 'visually-hidden' }, 'Exports, newest first'),
        h('thead', {}, h('tr', {}, ...['Requested (UTC)', 'Runs and range', 'Status', 'Progress', 'Archive', 'Notified'].map((t) => h('th', { scope: 'col' }, t)))),
        body)))
  showChosen()
  loadGroups()
  refresh()
  return () => { stopped = true; clearTimeout(timer) }
}
