// A client still sending an oversized body gets its 413, never a reset: shippers retry resets forever but
// drop a batch answered 413. Node's fetch sends the whole 11 MiB while the service has already answered.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import t from 'tap'
import { startServiceProcess } from '../scripts/service-process.js'
import { authHeaders, TEST_SECRET } from './helpers/app.js'
import { createTestDatabase } from './helpers/database.js'

t.test('20 fetch posts of 11 MiB in a row each get the 413', async (t) => {
  const databaseUrl = await createTestDatabase(t)
  const dataDir = await mkdtemp(path.join(tmpdir(), 'run-logs-oversized-'))
  t.teardown(async () => { await rm(dataDir, { recursive: true, force: true }) })
  const service = await startServiceProcess({ DATABASE_URL: databaseUrl, AUTH_JWT_SECRET: TEST_SECRET, DATA_DIR: dataDir, LOG_LEVEL: 'warn' })
  t.teardown(async () => { await service.stop() })
  const headers = { ...await authHeaders(), 'content-type': 'application/json' }
  const body = Buffer.alloc(11 * 1024 * 1024, 0x20)
  const outcomes: string[] = []
  for (let i = 0; i < 20; i++) {
    for (const url of ['/v2/lm/executions/e-oversized/logs', '/v2/lm/logs']) {
      try {
        const res = await fetch(service.baseUrl + url, { method: 'POST', headers, body })
        const answer = await res.json() as { error?: { code?: string } }
        outcomes.push(`${res.status} ${answer.error?.code ?? ''}`)
      } catch (err) {
        const cause = (err as Error & { cause?: { code?: string, message?: string } }).cause
        outcomes.push(`failed: ${cause?.code ?? cause?.message ?? (err as Error).message}`)
      }
    }
  }
  t.same(outcomes, Array(40).fill('413 PayloadTooLarge'), 'every post answered 413, none reset')
  const chunked = await fetch(service.baseUrl + '/v2/lm/logs', {
    method: 'POST',
    headers,
    duplex: 'half',
    body: new ReadableStream({ pull (controller) { controller.enqueue(new Uint8Array(1024 * 1024)) } })
  } as RequestInit).then((r) => r.status, (err: Error) => `failed: ${err.message}`)
  t.equal(chunked, 413, 'a chunked body without end gets the 413 once past the limit')
})
