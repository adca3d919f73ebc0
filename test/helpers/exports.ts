// Shared steps of the export tests: write lines, request an export, wait for its status, fetch and unpack it.
import { execFile } from 'node:child_process'
import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import type { FastifyInstance } from 'fastify'

export const run = promisify(execFile)

export interface ExportBody {
  requestId: string
  status: string
  totalExecutions: number
  downloadLink: string | null
  expiresAt: string | null
  errorMessage: string | null
  progress: { runsWritten: number, totalExecutions: number }
}

export async function writeLines (app: FastifyInstance, headers: Record<string, string>, kind: 'deployments' | 'executions', id: string, lines: unknown[]): Promise<void> {
  const res = await app.inject({ method: 'POST', url: `/v2/lm/${kind}/${id}/logs`, headers, payload: lines })
  if (res.statusCode !== 200) throw new Error(`ingest of ${id} failed: ${res.statusCode} ${res.body}`)
}

export async function requestExport (app: FastifyInstance, headers: Record<string, string>, filters: Record<string, unknown>): Promise<ExportBody> {
  const res = await app.inject({ method: 'POST', url: '/v2/lm/exports', headers, payload: { filters } })
  if (res.statusCode !== 202) throw new Error(`export request failed: ${res.statusCode} ${res.body}`)
  return res.json<ExportBody>()
}

/** Polls GET /v2/lm/exports/{id} until the status is reached (the worker polls every few ms in tests). */
export async function waitForStatus (app: FastifyInstance, headers: Record<string, string>, requestId: string, status: string, timeoutMs = 30_000): Promise<ExportBody> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const res = await app.inject({ method: 'GET', url: `/v2/lm/exports/${requestId}`, headers })
    const body = res.json<ExportBody>()
    if (body.status === status) return body
    if (Date.now() > deadline) throw new Error(`export ${requestId} is ${body.status}, not ${status}: ${res.body}`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

/** The path and query of a download link, for inject. */
export const linkPath = (link: string): string => { const u = new URL(link); return u.pathname + u.search }

/** Writes the archive to a temp folder and unpacks it with tar; returns the archive's root folder. */
export async function unpack (archive: Buffer): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'run-logs-export-'))
  const file = path.join(dir, 'archive.tar.gz')
  await writeFile(file, archive)
  await run('tar', ['-xzf', file, '-C', dir])
  const { stdout } = await run('tar', ['-tzf', file])
  return path.join(dir, stdout.split('\n')[0]?.replace(/\/$/, '') ?? '')
}

// Harness's seed mutation, verbatim but for the ids: trailing comma, and a single string for a list.
export const SEED_MUTATION = (application: string, userGroup: string): string => `
mutation {
  exportExecutions(input: {
    clientMutationId: "gqahal-test"
    filters: [
      {application: {operator: IN, values: ["${application}"]}},
      {startTime: {operator: AFTER, value: 1590969600000}},
    ]
    userGroupIds: "${userGroup}"
  }) { clientMutationId requestId status totalExecutions triggeredAt downloadLink expiresAt errorMessage }
}`
