// The notification of a finished export, as Harness's "Export Execution Logs" message: what was exported,
// and the download link with its expiry (or why it failed). Email gets text and HTML, Slack its `text`.
// Pure rendering, no I/O.
import type { ExportView } from './view.js'

export interface ExportMessage { subject: string, text: string, html: string, slack: { text: string } }

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }
const escapeHtml = (value: string): string => value.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c)
// Slack's mrkdwn: &, < and > are its control characters.
const escapeSlack = (value: string): string => value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')

export function exportMessage (view: ExportView, group: string): ExportMessage {
  const ready = view.status === 'READY'
  const facts: Array<[string, string]> = [
    ['Request id', view.requestId],
    ['Resource group', group],
    ['Status', view.status],
    ['Executions', String(view.totalExecutions)],
    ['Requested at', view.triggeredAt],
    ...(ready ? [['Link expires at', view.expiresAt ?? '']] as Array<[string, string]> : []),
    ...(view.errorMessage !== null ? [['Error', view.errorMessage]] as Array<[string, string]> : [])
  ]
  const headline = ready
    ? `Your export of ${view.totalExecutions} execution log(s) is ready to download.`
    : `Your export of execution logs ${view.status === 'FAILED' ? 'failed' : `is ${view.status}`}.`
  const subject = `Export Execution Logs: ${view.status} (${view.requestId})`
  const link = ready ? view.downloadLink : null
  const text = [
    'Export Execution Logs',
    '',
    headline,
    '',
    ...facts.map(([k, v]) => `${k}: ${v}`),
    ...(link === null ? [] : ['', `Download: ${link}`, `The link works without signing in until ${view.expiresAt ?? ''}; keep it private.`]),
    ''
  ].join('\n')
  const html = [
    '<!doctype html><html><body style="font-family: sans-serif">',
    '<h2>Export Execution Logs</h2>',
    `<p>${escapeHtml(headline)}</p>`,
    '<table>',
    ...facts.map(([k, v]) => `<tr><th align="left">${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`),
    '</table>',
    ...(link === null ? [] : [`<p><a href="${escapeHtml(link)}">Download the logs</a> (until ${escapeHtml(view.expiresAt ?? '')}; the link works without signing in, keep it private).</p>`]),
    '</body></html>'
  ].join('\n')
  const slack = [
    `*Export Execution Logs*: ${escapeSlack(headline)}`,
    ...facts.map(([k, v]) => `${k}: ${escapeSlack(v)}`),
    ...(link === null ? [] : [`<${link}|Download the logs> (until ${escapeSlack(view.expiresAt ?? '')})`])
  ].join('\n')
  return { subject, text, html, slack: { text: slack } }
}
