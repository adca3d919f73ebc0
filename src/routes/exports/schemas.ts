// Request and response schemas of the export endpoints; they validate requests and make the OpenAPI document.
import { z } from 'zod'
import { MAX_USER_GROUPS } from '../../export/recipients.js'
import { isLabelKey, isLabelValue, LABEL_KEY_RULE, LABEL_VALUE_RULE } from '../../labels.js'
import { rfc3339Field, runIdParam } from '../../schemas/common.js'

const MAX_LISTED_IDS = 10_000
// PostgreSQL's OFFSET takes a bigint; a skip past this many exports would return nothing anyway.
const MAX_SKIP = 2_147_483_647
const SKIP_TOO_LARGE = `must be a whole number at most ${MAX_SKIP}`
const MAX_LABEL_KEYS = 20
const MAX_LABEL_VALUES = 100
const labelValue = z.string().refine(isLabelValue, { error: `label values are ${LABEL_VALUE_RULE}` })

const timestampField = (description: string) => rfc3339Field()
  .meta({ description, format: 'date-time' })

export const createExportBody = z.strictObject({
  filters: z.strictObject({
    deploymentIds: z.array(runIdParam).max(MAX_LISTED_IDS).optional()
      .meta({ description: 'Deployments to export; with either list given, only listed runs match.' }),
    executionIds: z.array(runIdParam).max(MAX_LISTED_IDS).optional()
      .meta({ description: 'Executions to export; with either list given, only listed runs match.' }),
    start: timestampField('Start of the range (inclusive), RFC 3339; default: the earliest stored line.').optional(),
    end: timestampField('End of the range (exclusive), RFC 3339; default: when the export is requested.').optional(),
    labels: z.record(z.string().refine(isLabelKey, { error: `label keys are ${LABEL_KEY_RULE}` }),
      z.union([labelValue, z.array(labelValue).min(1).max(MAX_LABEL_VALUES)]))
      .refine((labels) => Object.keys(labels).length <= MAX_LABEL_KEYS, { error: `at most ${MAX_LABEL_KEYS} label keys` }).optional()
      .meta({ description: 'Only runs with these labels: every key must have its value, or one of its values (a list), e.g. {"application": "checkout", "environment": ["prod", "stage"]}.' })
  }).refine((f) => Object.keys(f).length > 0, { error: 'give at least one of deploymentIds, executionIds, start, end, labels' }),
  userGroupIds: z.array(z.string().max(64)).max(MAX_USER_GROUPS).optional()
    .meta({ description: 'User groups (configured by the operator, GET /v2/lm/user-groups) to notify by email and Slack when the export is READY or FAILED.' }),
  notifyOnlyTriggeringUser: z.boolean().optional()
    .meta({ description: 'Email only the token\'s email claim (userGroupIds are then not notified).' })
}).meta({ id: 'ExportRequest' })

export const requestIdParams = z.object({ requestId: z.uuid({ error: 'must be a UUID' }) })

export const listExportsQuery = z.strictObject({
  $top: z.preprocess((v) => (typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v),
    z.int({ error: 'must be an integer from 1 to 1000' }).min(1, { error: 'must be an integer from 1 to 1000' })
      .max(1000, { error: 'must be an integer from 1 to 1000' })).optional().meta({ description: 'Exports to return, newest first; default 100.' }),
  // Digits past Number's safe range are still a whole number: the message says how large one may be.
  $skip: z.preprocess((v) => (typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v),
    z.int({ error: (issue) => (typeof issue.input === 'number' && issue.input > MAX_SKIP ? SKIP_TOO_LARGE : 'must be a whole number') })
      .min(0, { error: 'must be a whole number' }).max(MAX_SKIP, { error: SKIP_TOO_LARGE })).optional().meta({ description: 'Exports to skip; default 0.' })
})

// Only lengths here: any other alteration of a link is a 403 (docs/exports.md), which the signature decides.
export const downloadQuery = z.strictObject({
  group: z.string().max(253).meta({ description: 'The export\'s resource group, as signed.' }),
  expires: z.string().max(20).meta({ description: 'Seconds since the epoch, as signed.' }),
  signature: z.string().max(200).meta({ description: 'The link\'s signature.' })
})

const exportFilters = z.object({
  deploymentIds: z.array(z.string()).optional(),
  executionIds: z.array(z.string()).optional(),
  start: z.string(),
  end: z.string(),
  labels: z.array(z.object({ key: z.string(), operator: z.enum(['IN', 'NOT_IN']), values: z.array(z.string()) })).optional()
    .meta({ description: 'Label conditions, every one must hold (NOT_IN also holds when the run lacks the label).' }),
  runIds: z.array(z.object({ operator: z.enum(['IN', 'NOT_IN']), values: z.array(z.string()) })).optional()
    .meta({ description: 'Run id conditions (the GraphQL execution filter).' }),
  times: z.array(z.object({ field: z.enum(['startTime', 'endTime', 'creationTime']), operator: z.enum(['AFTER', 'BEFORE', 'EQUALS']), epochMs: z.number() })).optional()
    .meta({ description: 'Run time conditions in epoch milliseconds (the GraphQL startTime, endTime, creationTime filters).' })
})

export const notificationState = z.object({
  target: z.string(),
  status: z.enum(['PENDING', 'SENT', 'FAILED']),
  attempts: z.int(),
  lastError: z.string().nullable()
}).meta({ id: 'ExportNotification' })

export const exportObject = z.object({
  requestId: z.string(),
  status: z.enum(['QUEUED', 'READY', 'FAILED', 'EXPIRED']),
  totalExecutions: z.int().meta({ description: 'Runs in the export, fixed when it was requested.' }),
  triggeredAt: z.string(),
  downloadLink: z.string().nullable().meta({ description: 'Signed link, no token needed; set when READY.' }),
  expiresAt: z.string().nullable().meta({ description: 'When the link and archive expire; set once READY.' }),
  errorMessage: z.string().nullable().meta({ description: 'What went wrong; set when FAILED.' }),
  progress: z.object({ runsWritten: z.int(), totalExecutions: z.int() }),
  filters: exportFilters,
  notifications: z.array(notificationState).meta({ description: 'One per recipient: an email address, or slack:<user group id>; retried with backoff until SENT or FAILED.' })
}).meta({ id: 'Export' })

export const exportList = z.object({ count: z.int(), resources: z.array(exportObject) }).meta({ id: 'ExportList' })
