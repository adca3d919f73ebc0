// The console in a real browser (Debian's chromium driven by playwright-core): sign in, list and filter
// runs, open one, page, filter to stderr, follow it while lines are written, make an export, watch it reach
// READY and download it; filter runs by label, and make an export that notifies a user group by email (a
// real SMTP server here) and Slack (a local webhook), whose emailed link downloads the archive. Screenshots of each view go to test/screenshots/ for a person to look at.
import { mkdir, mkdtemp } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import pg from 'pg'
import { chromium, type Page } from 'playwright-core'
import t from 'tap'
import { build } from '../../scripts/build.js'
import { ROOT } from '../../scripts/service-process.js'
import { freePort } from '../../scripts/temporary-postgres.js'
import { CONSOLE_CSP } from '../../src/plugins/console.js'
import { writeFile } from 'node:fs/promises'
import { buildTestApp, token } from '../helpers/app.js'
import { run as exec } from '../helpers/exports.js'
import { startSlackServer, startSmtpServer } from '../helpers/mail.js'

const CHROMIUM = '/usr/bin/chromium'
const SHOTS = path.join(ROOT, 'test', 'screenshots')

t.setTimeout(300_000)
if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install it with apt-get install -y chromium (.ci/run does)`)
await build({ ifStale: true, only: ['console'] })
await mkdir(SHOTS, { recursive: true })

const port = await freePort()
const base = `http://127.0.0.1:${port}`
const smtp = await startSmtpServer()
const slack = await startSlackServer()
t.teardown(smtp.close)
t.teardown(slack.close)
const groupsFile = path.join(await mkdtemp(path.join(tmpdir(), 'run-logs-groups-')), 'groups.json')
await writeFile(groupsFile, JSON.stringify([{ id: 'release-auditors', name: 'Release auditors', emails: ['auditor@example.com'], slackWebhookUrl: slack.url }]))
const { app, databaseUrl } = await buildTestApp(t, {
  env: { PORT: String(port), PUBLIC_BASE_URL: base, EXPORT_POLL_INTERVAL_MS: '50', USER_GROUPS_FILE: groupsFile, SMTP_URL: smtp.url, NOTIFY_POLL_INTERVAL_MS: '100' }
})
await app.listen({ host: '127.0.0.1', port })

const headers = { authorization: `Bearer ${await token({ groups: ['team-a'] })}`, 'ai-resource-group': 'team-a' }
const iso = (ms: number): string => new Date(ms).toISOString()
async function write (kind: 'deployments' | 'executions', id: string, lines: unknown[]): Promise<void> {
  const res = await app.inject({ method: 'POST', url: `/v2/lm/${kind}/${id}/logs`, headers, payload: lines })
  if (res.statusCode !== 200) throw new Error(res.body)
}

// d-console-1: 1200 lines over two pods, every 7th on stderr, one in colour. e-console-1 and 55 more runs
// started earlier, so the runs table has a second page.
const t0 = Date.now() - 20 * 60_000
for (let i = 0; i < 55; i++) await write('deployments', `d-filler-${String(i).padStart(2, '0')}`, [{ timestamp: iso(t0 - 60_000 - i * 1000), msg: 'filler' }])
await write('executions', 'e-console-1', [{ timestamp: iso(t0 - 30_000), msg: 'training step 1', pod: 'trainer-0', container: 'main', stream: 'stdout' }])
const lines = Array.from({ length: 1200 }, (_, i) => ({
  timestamp: iso(t0 + i * 100),
  msg: i === 3 ? 'status: \x1b[31mred alert\x1b[0m and \x1b[1;32mgreen\x1b[0m \x1b[2Kdone' : i % 7 === 0 ? `error ${i}: disk ${i % 3 === 0 ? 'slow' : 'full'}` : `request ${i} served in ${i % 50} ms ${i % 100 === 1 ? 'x'.repeat(400) : ''}`,
  pod: `api-${i % 2}`,
  container: 'server',
  stream: i % 7 === 0 ? 'stderr' : 'stdout'
}))
await write('deployments', 'd-console-1', lines)
await app.inject({ method: 'PATCH', url: '/v2/lm/deployments/d-console-1', headers, payload: { labels: { application: 'console-shop', environment: 'prod' } } })
const stderrCount = lines.filter((l) => l.stream === 'stderr').length

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking']
})
t.teardown(async () => { await browser.close() })
// An American locale in New York: the console's times must still be UTC on a 24-hour clock.
const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true, locale: 'en-US', timezoneId: 'America/New_York' })
const page = await context.newPage()
const foreign: string[] = []
const followRequests: Array<{ url: string, authorization?: string }> = []
const problems: string[] = []
page.on('request', (request) => {
  if (!request.url().startsWith(base + '/')) foreign.push(request.url())
  if (request.url().includes('follow=true')) followRequests.push({ url: request.url(), authorization: request.headers().authorization })
})
page.on('pageerror', (err) => { problems.push(`uncaught: ${err.message}`) })
page.on('console', (message) => { if (/Content.Security.Policy|Refused to/i.test(message.text())) problems.push(message.text()) })

const shot = async (name: string, p: Page = page): Promise<void> => { await p.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: false }) }
// A failed step leaves a picture of the page as it was.
t.afterEach(async (t) => { if (!t.passing()) await page.screenshot({ path: path.join(SHOTS, `failed-${t.name.replace(/\W+/g, '-').slice(0, 60)}.png`) }) })
const logRows = (p: Page = page) => p.locator('table.logs tbody tr')
// The pager's line (the status line repeats it for screen readers).
const pageInfo = (text: string, p: Page = page) => p.locator('main .page-info', { hasText: text })

t.test('the console is served with its Content-Security-Policy and loads nothing from elsewhere', async (t) => {
  const res = await fetch(`${base}/console`, { redirect: 'manual' })
  t.equal(res.status, 302)
  t.equal(res.headers.get('location'), '/console/')
  const index = await fetch(`${base}/console/`)
  t.equal(index.status, 200)
  t.equal(index.headers.get('content-security-policy'), CONSOLE_CSP)
  const html = await index.text()
  t.notMatch(html, /<script(?![^>]*\ssrc=)[^>]*>/, 'no inline script')
  t.notMatch(html, /<style|\sstyle=/, 'no inline style')
  t.notMatch(html, /(?:src|href)="(?:https?:)?\/\//, 'no other origin')
  const script = /src="(\/console\/assets\/[^"]+\.js)"/.exec(html)?.[1] as string
  const asset = await fetch(base + script)
  t.equal(asset.headers.get('content-security-policy'), CONSOLE_CSP)
  t.match(asset.headers.get('cache-control'), /immutable/)
  t.notMatch(await asset.text(), /https?:\/\/(?!www\.w3\.org)/, 'the bundle names no other origin')
  const api = await fetch(`${base}/healthz`)
  t.equal(api.headers.get('content-security-policy'), null, 'the API\'s answers are left alone')
})

t.test('sign in: a bad token is refused in words, a good one lists the runs', async (t) => {
  await page.goto(`${base}/console`)
  await page.getByLabel('Bearer token').waitFor()
  await shot('signin')
  await page.getByLabel('Bearer token').fill('not.a.token')
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.getByRole('alert').filter({ hasText: 'The token was refused' }).waitFor()
  t.pass('a refused token is told in words')

  const good = await token({ groups: ['team-a'], scope: 'logs.read logs.export' })
  await page.getByLabel('Bearer token').fill(good)
  t.equal(await page.getByLabel('Resource group').inputValue(), 'team-a', 'the token\'s only group is chosen')
  await page.getByLabel('Bearer token').press('Tab')
  await page.keyboard.press('Tab')
  await page.keyboard.press('Enter') // from the group field: submits the form
  await page.getByRole('table').getByRole('link', { name: 'd-console-1' }).waitFor()
  t.equal(await page.evaluate('sessionStorage.getItem("run-logs.token")'), good, 'the token is in session storage')
  t.equal(await page.evaluate('localStorage.length'), 0, 'and nowhere else')
  t.equal(await page.getByTestId('current-group').textContent(), 'team-a')
})

t.test('runs: newest first, filters, paging by cursor, selection', async (t) => {
  const rows = page.locator('table.runs tbody tr')
  t.equal(await rows.count(), 50, 'a page of 50')
  t.match(await rows.nth(0).textContent(), /deployment\s*d-console-1/)
  t.match(await rows.nth(0).textContent(), /1,200/)
  t.match(await rows.nth(1).textContent(), /execution\s*e-console-1/)
  await shot('runs')
  await page.getByRole('button', { name: 'Next page' }).click()
  await pageInfo('Page 2 (last)').waitFor()
  t.equal(await rows.count(), 7, 'the other 7 runs')
  await page.getByRole('button', { name: 'First page' }).click()
  await page.locator('main .page-info', { hasText: /^Page 1$/ }).waitFor()

  await page.getByLabel('Kind').selectOption('execution')
  await page.getByRole('button', { name: 'Apply' }).click()
  await rows.filter({ hasText: 'e-console-1' }).waitFor()
  // e-console-1 was on the unfiltered page too: wait for that page to be replaced before counting.
  await rows.nth(1).waitFor({ state: 'detached' })
  t.equal(await rows.count(), 1, 'executions only')
  await page.getByLabel('Kind').selectOption('')
  await page.getByLabel('Id starts with').fill('d-console')
  await page.getByLabel('Id starts with').press('Enter')
  await page.locator('table.runs tbody tr:has-text("d-console-1")').waitFor()
  await rows.nth(1).waitFor({ state: 'detached' })
  t.equal(await rows.count(), 1)
  t.pass('an id prefix narrows the list')

  await page.getByLabel('Select deployment d-console-1').check()
  await page.getByRole('button', { name: 'Reset' }).click()
  await rows.nth(49).waitFor()
  await page.getByLabel('Select execution e-console-1').check()
  t.equal(await page.getByTestId('selection-count').textContent(), '2 runs selected.')
})

t.test('a run: lines with time, pod, container and stream, pages, stderr, colours', async (t) => {
  await page.getByRole('table').getByRole('link', { name: 'd-console-1' }).focus()
  await page.keyboard.press('Enter')
  await pageInfo('Page 1, 500 lines').waitFor()
  const first = logRows().nth(0)
  t.match(await first.textContent(), new RegExp(`${iso(t0).slice(0, 19).replace('T', ' ')}.*api-0.*server.*stderr.*error 0`))
  t.equal(await first.locator('.badge-stderr').count(), 1, 'stderr is marked')
  const colour = logRows().nth(3).locator('td.msg')
  t.equal(await colour.locator('span.ansi-fg-1').textContent(), 'red alert', 'ANSI red is shown as colour')
  t.equal(await colour.locator('span.ansi-fg-2.ansi-bold').textContent(), 'green')
  t.equal(await colour.textContent(), 'status: red alert and green done', 'no escape bytes left')
  const wide = await logRows().nth(1).locator('td.msg').evaluate((td) => td.scrollWidth <= td.clientWidth + 1)
  t.ok(wide, 'a long message wraps inside its cell')
  const from = page.getByLabel('From (UTC)')
  t.equal(await from.getAttribute('type'), 'text', 'not the locale\'s datetime picker (12-hour in en-US)')
  t.equal(await from.inputValue(), iso(t0).slice(0, 19).replace('T', ' '), 'the first line\'s time, UTC, 24-hour')
  await page.getByLabel('Until (UTC; empty: now)').fill('1:30 PM')
  await page.getByRole('button', { name: 'Apply' }).click()
  t.notOk(await page.getByLabel('Until (UTC; empty: now)').evaluate((el) => (el as unknown as { validity: { valid: boolean } }).validity.valid), 'a 12-hour time is refused')
  await page.getByLabel('Until (UTC; empty: now)').fill('')
  await shot('run')

  // Scrolled, the rows pass under the sticky header: every point of the header is the header's, none a row's.
  const scroller = page.locator('.log-scroll')
  await scroller.evaluate((el) => { el.scrollTop = 1234 })
  const covered = await scroller.evaluate((el) => {
    type Found = NonNullable<ReturnType<typeof el.querySelector>>
    const head = el.querySelector('thead') as Found
    const box = el.getBoundingClientRect()
    const headBox = (head.querySelector('th') as Found).getBoundingClientRect()
    const leaks: string[] = []
    for (let y = Math.ceil(box.top + 1); y < headBox.bottom; y += 1) {
      for (let x = box.left + 4; x < box.right - 4; x += 12) {
        const hit = el.ownerDocument.elementFromPoint(x, y)
        if (hit === null || !head.contains(hit)) leaks.push(`${x},${y}: ${hit?.tagName ?? 'nothing'} ${(hit?.textContent ?? '').slice(0, 20)}`)
      }
    }
    return { leaks: leaks.slice(0, 5), headTop: headBox.top - box.top - el.clientTop }
  })
  t.same(covered.leaks, [], 'no row shows through or above the sticky header')
  t.ok(covered.headTop <= 0, `the header sits at the box's top (${covered.headTop}px below it)`)
  await shot('run-scrolled')
  await scroller.evaluate((el) => { el.scrollTop = 0 })

  await page.getByRole('button', { name: 'Next page' }).click()
  await pageInfo('Page 2, 500 lines').waitFor()
  t.match(await logRows().nth(0).textContent(), /request 500 served/)
  await page.getByRole('button', { name: 'Next page' }).click()
  await pageInfo('Page 3, 200 lines (last)').waitFor()
  t.ok(await page.getByRole('button', { name: 'Next page' }).isDisabled())
  await page.getByRole('button', { name: 'Previous page' }).click()
  await pageInfo('Page 2, 500 lines').waitFor()
  t.match(await logRows().nth(0).textContent(), /request 500 served/, 'back to the same page')

  await page.getByLabel('Stream').selectOption('stderr')
  await page.getByRole('button', { name: 'Apply' }).click()
  await pageInfo(`Page 1, ${stderrCount} lines (last)`).waitFor()
  t.equal(await logRows().count(), stderrCount)
  t.equal(await page.locator('table.logs tbody tr .badge-stderr').count(), stderrCount, 'every line is stderr')
  await shot('run-stderr')

  await page.getByLabel('Message contains').fill('disk full')
  await page.getByLabel('Lines per page').selectOption('100')
  await page.getByRole('button', { name: 'Apply' }).click()
  const full = lines.filter((l) => l.stream === 'stderr' && l.msg.includes('disk full')).length
  await pageInfo('Page 1, 100 lines').waitFor()
  await page.getByRole('button', { name: 'Next page' }).click()
  await pageInfo(`Page 2, ${full - 100} lines (last)`).waitFor()
  t.pass('filters combine and page')
  await page.getByLabel('Message contains').fill('')
  await page.getByLabel('Lines per page').selectOption('500')
})

t.test('follow: live lines appear as they are written, with the filters', async (t) => {
  await page.getByRole('button', { name: 'Follow live' }).click()
  await page.getByText(`Following: ${stderrCount} lines received.`).waitFor()
  await write('deployments', 'd-console-1', [{ timestamp: iso(Date.now()), msg: 'live stdout line', pod: 'api-1', container: 'server', stream: 'stdout' }])
  await write('deployments', 'd-console-1', [{ timestamp: iso(Date.now()), msg: 'live \x1b[33mstderr\x1b[0m line', pod: 'api-1', container: 'server', stream: 'stderr' }])
  await page.locator('table.logs td.msg', { hasText: 'live stderr line' }).waitFor()
  t.equal(await page.locator('table.logs td.msg', { hasText: 'live stdout line' }).count(), 0, 'the stdout line, written first, is filtered out')
  t.equal(await page.getByRole('button', { name: 'Stop following' }).getAttribute('aria-pressed'), 'true')
  const bottom = await page.locator('.log-scroll').evaluate((el) => el.scrollTop + el.clientHeight >= el.scrollHeight - 2)
  t.ok(bottom, 'the view keeps to the newest line')
  const box = await page.locator('.log-scroll').boundingBox()
  t.ok(box !== null && box.y + box.height <= 800, `the log box ends inside the 1280x800 window (at ${box === null ? '?' : box.y + box.height}px)`)
  const newest = await page.locator('table.logs td.msg', { hasText: 'live stderr line' }).boundingBox()
  t.ok(newest !== null && newest.y >= 0 && newest.y + newest.height <= 800, 'the newest line is in view, above the fold')
  t.equal(await page.evaluate('window.scrollY'), 0, 'without scrolling the page: the controls stay in view')
  await shot('run-follow')
  t.ok(followRequests.length > 0, 'the tail is a fetch of the read with follow=true')
  for (const r of followRequests) {
    t.match(r.authorization, /^Bearer ey/, 'the token goes in the Authorization header')
    t.notMatch(r.url, /ey[A-Za-z0-9_-]{10,}\./, 'and never in the URL')
  }
  await page.getByRole('button', { name: 'Stop following' }).click()
  await pageInfo('Page 1,').waitFor()
})

t.test('a narrow window: the run and its lines still read', async (t) => {
  await page.setViewportSize({ width: 400, height: 800 })
  await pageInfo('Page 1,').waitFor()
  const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth')
  t.ok(overflow <= 0, `no sideways scrolling of the page (${overflow}px)`)
  await shot('run-narrow')
  await page.setViewportSize({ width: 1280, height: 800 })
})

t.test('exports: create from the selection, watch it reach READY, download it; FAILED and EXPIRED shown', async (t) => {
  await page.getByRole('link', { name: 'Exports' }).click()
  await page.getByRole('list', { name: 'Runs to export' }).getByText('deployment/d-console-1').waitFor()
  t.equal(await page.locator('#status').textContent(), '', 'the run page\'s status line is not carried to Exports')
  t.equal(await page.getByRole('list', { name: 'Runs to export' }).locator('li').count(), 2, 'the two selected runs')
  const created = async (): Promise<string> => {
    const [response] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith('/v2/lm/exports') && r.request().method() === 'POST'),
      page.getByRole('button', { name: 'Create export' }).click()
    ])
    t.equal(response.status(), 202)
    return (await response.json() as { requestId: string }).requestId
  }
  const requestId = await created()
  const row = page.locator(`table.exports tbody tr[data-export="${requestId}"]`)
  await page.locator(`table.exports tbody tr[data-export="${requestId}"][data-status="READY"]`).waitFor({ timeout: 60_000 })
  t.match(await row.textContent(), /d-console-1, e-console-1/)
  t.match(await row.textContent(), /2 of 2 runs written/)
  t.equal(await row.locator('progress').getAttribute('value'), '2')
  await page.getByRole('status').filter({ hasText: 'ready to download' }).waitFor()
  await shot('exports')

  const [download] = await Promise.all([page.waitForEvent('download'), row.getByRole('link', { name: 'Download archive' }).click()])
  const dir = await mkdtemp(path.join(tmpdir(), 'run-logs-console-'))
  const file = path.join(dir, 'export.tar.gz')
  await download.saveAs(file)
  const { stdout } = await exec('tar', ['-tzf', file])
  t.ok(stdout.includes(`logs-export-${requestId}/README.md`), 'the archive downloaded')
  t.match(stdout, /_deployment_d-console-1\/api-0_server\.log/)

  // The worker never fails these builds or outlives their links here: mark the export as it would be.
  const db = new pg.Client({ connectionString: databaseUrl })
  await db.connect()
  await db.query('UPDATE exports SET status = \'EXPIRED\', archive_path = NULL WHERE request_id = $1', [requestId])
  // Every run that began before e-console-1: the 55 fillers.
  await page.getByLabel('Until (UTC; empty: now)').fill(iso(t0 - 30_000).slice(0, 19))
  const second = await created()
  await page.locator(`table.exports tbody tr[data-export="${second}"][data-status="READY"]`).getByText('55 of 55 runs written').waitFor({ timeout: 60_000 })
  await db.query('UPDATE exports SET status = \'FAILED\', error_message = $2 WHERE request_id = $1', [second, 'The archive could not be written: disk full.'])
  await db.end()
  await page.locator(`table.exports tbody tr[data-export="${second}"][data-status="FAILED"]`).getByText('The archive could not be written: disk full.').waitFor({ timeout: 15_000 })
  await page.locator(`table.exports tbody tr[data-export="${requestId}"][data-status="EXPIRED"]`).getByText('Expired: the archive was deleted').waitFor({ timeout: 15_000 })
  t.pass('FAILED shows its error, EXPIRED says so')
  await shot('exports-outcomes')
})

t.test('labels: the runs page shows and filters them; a notified export by label, end to end', async (t) => {
  await page.getByRole('link', { name: 'Runs', exact: true }).click()
  const rows = page.locator('table.runs tbody tr')
  await rows.nth(49).waitFor()
  await page.getByLabel('Labels').fill('application=console-shop')
  await page.getByRole('button', { name: 'Apply' }).click()
  await rows.nth(1).waitFor({ state: 'detached' })
  t.equal(await rows.count(), 1, 'only the labelled run')
  t.match(await rows.nth(0).textContent(), /d-console-1.*application=console-shop.*environment=prod/)
  await shot('runs-labels')

  await page.getByRole('status').filter({ hasText: '1 run on page 1.' }).waitFor()
  await page.getByRole('link', { name: 'Exports' }).click()
  await page.getByRole('checkbox', { name: /Release auditors/ }).waitFor()
  t.notMatch(await page.locator('#status').textContent(), /runs? on page/, 'the runs page\'s status line is not carried to Exports')
  await page.getByLabel('Until (UTC; empty: now)').fill('')
  await page.getByLabel('Labels').fill('application=console-shop')
  await page.getByRole('checkbox', { name: /Release auditors/ }).check()
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.url().endsWith('/v2/lm/exports') && r.request().method() === 'POST'),
    page.getByRole('button', { name: 'Create export' }).click()
  ])
  t.equal(response.status(), 202)
  const requestId = (await response.json() as { requestId: string }).requestId
  const row = page.locator(`table.exports tbody tr[data-export="${requestId}"]`)
  await row.locator('li[data-target="auditor@example.com"][data-status="SENT"]').waitFor({ timeout: 60_000 })
  await row.locator('li[data-target="slack:release-auditors"][data-status="SENT"]').waitFor({ timeout: 15_000 })
  t.match(await row.textContent(), /with application=console-shop/)
  t.match(await row.textContent(), /1 of 1 run written/)
  await shot('exports-notified')

  const mail = smtp.mails.find((m) => m.subject.includes(requestId))
  t.same(mail?.to, ['auditor@example.com'], 'the group\'s address got the email')
  const link = /Download: (\S+)/.exec(mail?.text ?? '')?.[1] ?? ''
  t.ok(link.startsWith(`${base}/v2/lm/exports/${requestId}/download?`), 'with the download link')
  t.match(slack.messages.find((m) => m.text.includes(requestId))?.text, link, 'Slack got the same link')
  const archive = await fetch(link)
  t.equal(archive.status, 200, 'the emailed link downloads the archive')
  const file = path.join(await mkdtemp(path.join(tmpdir(), 'run-logs-console-')), 'notified.tar.gz')
  await writeFile(file, Buffer.from(await archive.arrayBuffer()))
  const { stdout } = await exec('tar', ['-tzf', file])
  t.match(stdout, /_deployment_d-console-1\/execution\.json/)
  t.notMatch(stdout, /e-console-1/, 'only the labelled run')
})

t.test('exports: no runs, no range and no labels export every run from the earliest line until now', async (t) => {
  await page.getByLabel('Labels').fill('')
  for (const box of await page.getByRole('checkbox', { name: /Release auditors/ }).all()) await box.uncheck()
  t.equal(await page.getByLabel('From (UTC; empty: the earliest line)').inputValue(), '')
  t.equal(await page.getByLabel('Until (UTC; empty: now)').inputValue(), '')
  await page.getByText('No runs selected').waitFor()
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.url().endsWith('/v2/lm/exports') && r.request().method() === 'POST'),
    page.getByRole('button', { name: 'Create export' }).click()
  ])
  t.equal(response.status(), 202, 'accepted')
  const created = await response.json() as { requestId: string, totalExecutions: number }
  t.equal(created.totalExecutions, 57, 'every run of the group')
  const row = page.locator(`table.exports tbody tr[data-export="${created.requestId}"]`)
  await row.getByText(/every run; the earliest line to/).waitFor()
  t.equal(await page.locator('.error[role=alert]').first().textContent(), '', 'no complaint')
  await page.locator(`table.exports tbody tr[data-export="${created.requestId}"][data-status="READY"]`).waitFor({ timeout: 60_000 })
})

t.test('an API error is told in words: a token without logs.export on Exports', async (t) => {
  await page.evaluate(`sessionStorage.setItem('run-logs.token', '${await token({ groups: ['team-a'], scope: 'logs.read' })}')`)
  await page.reload()
  await page.getByRole('alert').filter({ hasText: 'Not allowed: The token lacks the scope logs.export.' }).first().waitFor()
  t.pass('403 shown as a sentence')
})

t.test('an unknown run: the 404 is told and there is nothing to page', async (t) => {
  await page.goto(`${base}/console/#/runs/deployment/d-never-written`)
  await page.getByRole('alert').filter({ hasText: 'Not found' }).waitFor()
  await page.getByText('No lines of this deployment are stored in this resource group yet.').waitFor()
  for (const name of ['First page', 'Previous page', 'Next page']) {
    t.ok(await page.getByRole('button', { name }).isDisabled(), `${name} is disabled`)
  }
  t.equal(await logRows().count(), 0, 'no rows')
})

t.test('nothing came from another origin and nothing broke the policy', async (t) => {
  t.same(foreign, [])
  t.same(problems, [])
})
