// User groups to notify of finished exports, configured by the operator in USER_GROUPS_FILE (never taken
// from a request, so a caller can neither add a recipient nor point the service at a URL). Read once at
// start; a bad file stops the start.
import { readFileSync } from 'node:fs'
import { z } from 'zod'
import { RESOURCE_GROUP_PATTERN } from '../schemas/ids.js'

export interface UserGroup {
  id: string
  name: string
  emails: string[]
  /** A Slack (or compatible) incoming-webhook URL; secret, never shown through the API. */
  slackWebhookUrl?: string
  /** Resource groups whose exports may notify this group; unset: all. */
  resourceGroups?: string[]
}

const userGroup = z.strictObject({
  id: z.string().regex(/^[\w.-]{1,64}$/, 'must be 1 to 64 letters, digits, underscores, dots or dashes'),
  name: z.string().trim().min(1).max(200),
  emails: z.array(z.email()).max(500).default([]),
  slackWebhookUrl: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
  resourceGroups: z.array(z.string().regex(RESOURCE_GROUP_PATTERN, 'must be resource group names')).optional()
})

const file = z.union([z.array(userGroup), z.strictObject({ userGroups: z.array(userGroup) }).transform((f) => f.userGroups)])
  .refine((groups) => new Set(groups.map((g) => g.id)).size === groups.length, 'user group ids must be unique')

/** The groups of a JSON file: an array of groups, or {"userGroups": [...]}; throws saying what is wrong. */
export function readUserGroups (path: string): UserGroup[] {
  let json: unknown
  try {
    json = JSON.parse(readFileSync(path, 'utf8'))
  } catch (err) {
    throw new Error(`cannot read ${path} as JSON: ${(err as Error).message}`)
  }
  const parsed = file.safeParse(json)
  if (!parsed.success) throw new Error(parsed.error.issues.map((i) => `${i.path.join('.') || '(file)'}: ${i.message}`).join('; '))
  return parsed.data
}

/** The groups a resource group's exports may notify. */
export const groupsFor = (groups: UserGroup[], resourceGroup: string): UserGroup[] =>
  groups.filter((g) => g.resourceGroups === undefined || g.resourceGroups.includes(resourceGroup))
