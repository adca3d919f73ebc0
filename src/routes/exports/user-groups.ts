// GET /v2/lm/user-groups: the user groups an export of the caller's resource group may notify (configured
// by the operator in USER_GROUPS_FILE), for the console's and scripts' choice of userGroupIds. Addresses
// and webhook URLs stay private: only how each group is reached.
import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { Config } from '../../config.js'
import { groupsFor } from '../../export/user-groups.js'
import { errorResponse, resourceGroupHeaders } from '../../schemas/common.js'

const userGroupList = z.object({
  resources: z.array(z.object({
    id: z.string(),
    name: z.string(),
    emailCount: z.int().meta({ description: 'Email addresses in the group.' }),
    slack: z.boolean().meta({ description: 'Whether the group has a Slack webhook.' })
  }))
}).meta({ id: 'UserGroupList' })

export default async function userGroupRoutes (app: FastifyInstance, opts: { config: Config }): Promise<void> {
  app.withTypeProvider<ZodTypeProvider>().get('/v2/lm/user-groups', {
    onRequest: app.requireScope('logs.export'),
    schema: {
      tags: ['Export'],
      operationId: 'userGroups.list',
      summary: 'List the user groups exports can notify',
      description: 'The operator\'s user groups (USER_GROUPS_FILE) available to the resource group, by id and name; userGroupIds on ' +
        'POST /v2/lm/exports and the GraphQL exportExecutions mutation name them. Scope logs.export.',
      security: [{ bearerAuth: [] }],
      headers: resourceGroupHeaders,
      response: { 200: userGroupList, 400: errorResponse, 401: errorResponse, 403: errorResponse }
    }
  }, async (request) => ({
    resources: groupsFor(opts.config.notify.userGroups, request.resourceGroup)
      .map((g) => ({ id: g.id, name: g.name, emailCount: g.emails.length, slack: g.slackWebhookUrl !== undefined }))
  }))
}
