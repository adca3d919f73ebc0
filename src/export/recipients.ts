// Who an export notifies: the user groups named by the request (their emails and Slack webhook), or only
// the requesting token's email claim. Ids the operator has not configured for the resource group are a
// 400, never a silent no-op.
import { z } from 'zod'
import type { Config } from '../config.js'
import { errors } from '../errors.js'
import type { Recipient } from '../store/export-notifications.js'
import { groupsFor } from './user-groups.js'

export interface NotifyRequest {
  userGroupIds?: string[]
  /** Harness's notifyOnlyTriggeringUser: only the token's email claim, userGroupIds aside. */
  onlyTriggeringUser?: boolean
}

export const MAX_USER_GROUPS = 20
export const SLACK_PREFIX = 'slack:'
const email = z.email()

export function recipientsOf (notify: NotifyRequest, config: Config['notify'], resourceGroup: string, tokenEmail: string | undefined): Recipient[] {
  let recipients: Recipient[]
  if (notify.onlyTriggeringUser === true) {
    if (tokenEmail === undefined || !email.safeParse(tokenEmail).success) {
      throw errors.invalidRequest('notifyOnlyTriggeringUser needs a token with an email claim (an email address).', { parameter: 'notifyOnlyTriggeringUser' })
    }
    recipients = [{ channel: 'email', target: tokenEmail }]
  } else {
    const ids = [...new Set(notify.userGroupIds ?? [])]
    if (ids.length > MAX_USER_GROUPS) throw errors.invalidRequest(`At most ${MAX_USER_GROUPS} user groups can be notified.`, { parameter: 'userGroupIds' })
    const known = new Map(groupsFor(config.userGroups, resourceGroup).map((g) => [g.id, g]))
    const unknown = ids.filter((id) => !known.has(id))
    if (unknown.length > 0) {
      throw errors.invalidRequest(`No user group ${unknown.join(', ')} is configured for resource group ${resourceGroup}.`, { parameter: 'userGroupIds', userGroupIds: unknown })
    }
    const seen = new Set<string>()
    recipients = []
    for (const group of ids.map((id) => known.get(id))) {
      if (group === undefined) continue
      for (const address of group.emails) {
        if (!seen.has(address.toLowerCase())) recipients.push({ channel: 'email', target: address })
        seen.add(address.toLowerCase())
      }
      if (group.slackWebhookUrl !== undefined) recipients.push({ channel: 'slack', target: SLACK_PREFIX + group.id })
    }
  }
  if (config.smtpUrl === undefined && recipients.some((r) => r.channel === 'email')) {
    throw errors.invalidRequest('Email notifications are not set up on this service (SMTP_URL); choose user groups with a Slack webhook only.', { parameter: 'userGroupIds' })
  }
  return recipients
}
