// POST /graphql (mercurius): Harness's exportExecutions mutation and exportExecutionsStatus query, with the
// same bearer token, AI-Resource-Group and scope (logs.export) as REST. A request refused before GraphQL
// runs (token, scope, group, a body that is not a GraphQL request) gets REST's status and error body; every
// error of a GraphQL request answers 200 (GraphQL over HTTP, application/json) as a GraphQL error whose
// extensions carry the contract's code and requestId.
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { GraphQLError, type ExecutionResult, type GraphQLFormattedError } from 'graphql'
import mercurius, { type IResolvers, type MercuriusContext } from 'mercurius'
import { z } from 'zod'
import type { Config } from '../config.js'
import { errors, toApiError, type ApiError } from '../errors.js'
import { harnessExport } from '../export/harness.js'
import { createExport } from '../export/request.js'
import { requesterOf } from '../audit.js'
import { errorResponse } from '../schemas/common.js'
import { MIN_INSTANT } from '../time.js'
import { runConditionsOf, type ExecutionFilter } from './filters.js'
import { DateTime, SCHEMA } from './schema.js'

declare module 'mercurius' {
  interface MercuriusContext { request: FastifyRequest }
}
type Context = MercuriusContext

interface ExportExecutionsInput {
  clientMutationId?: string | null
  filters?: ExecutionFilter[] | null
  notifyOnlyTriggeringUser?: boolean | null
  userGroupIds?: string[] | null
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

type ContractGraphqlError = GraphQLFormattedError & { extensions: { code: string, requestId: string, [key: string]: unknown } }

/** The contract's code and requestId in extensions; a 5xx's message hides its cause (logged instead). */
function formatGraphqlError (error: GraphQLError, request: FastifyRequest): ContractGraphqlError {
  const original = error.originalError
  const api: ApiError = original === undefined || original === null || original instanceof GraphQLError
    ? errors.invalidRequest(error.message)
    : toApiError(original)
  if (api.code === 'InternalError') request.log.error({ err: original }, 'graphql resolver failed')
  const json = error.toJSON()
  return {
    ...json,
    message: api.statusCode >= 500 ? api.message : json.message,
    extensions: { ...json.extensions, code: api.code, requestId: request.id, ...(api.details === undefined ? {} : { details: api.details }) }
  }
}

const body = z.object({
  query: z.string().min(1).max(100_000).meta({ description: 'The GraphQL document.' }),
  variables: z.record(z.string(), z.unknown()).nullish(),
  operationName: z.string().max(1000).nullish()
}).meta({ id: 'GraphqlRequest' })

const answer = z.looseObject({
  data: z.record(z.string(), z.unknown()).nullable(),
  errors: z.array(z.any()).optional()
    .meta({ description: 'GraphQL errors: {message, locations?, path?, extensions: {code, requestId, details?}}, code being the contract\'s error code.' })
}).meta({ id: 'GraphqlResponse' })

export default async function graphqlRoutes (app: FastifyInstance, opts: { config: Config }): Promise<void> {
  const payload = async (requestId: string, group: string) => {
    const row = await app.exports.jobs.get(group, requestId)
    if (row === undefined) throw errors.notFound(`No export ${requestId} in resource group ${group}.`, { requestId })
    return harnessExport(await app.exports.view(row))
  }
  const resolvers: IResolvers = {
    DateTime,
    Query: {
      exportExecutionsStatus: async (_root: unknown, args: { requestId: string }, ctx: Context) => {
        if (!UUID.test(args.requestId)) throw errors.invalidRequest('requestId must be the UUID exportExecutions answered.', { requestId: args.requestId })
        return await payload(args.requestId, ctx.request.resourceGroup)
      }
    },
    Mutation: {
      exportExecutions: async (_root: unknown, { input }: { input: ExportExecutionsInput }, ctx: Context) => {
        const conditions = runConditionsOf(input.filters ?? [])
        const row = await createExport(app, opts.config, requesterOf(ctx.request), {
          filters: conditions,
          start: MIN_INSTANT,
          end: app.now(),
          notify: { userGroupIds: input.userGroupIds ?? undefined, onlyTriggeringUser: input.notifyOnlyTriggeringUser ?? undefined }
        })
        return { clientMutationId: input.clientMutationId ?? null, ...harnessExport(await app.exports.view(row)) }
      }
    }
  }
  await app.register(mercurius, {
    schema: SCHEMA,
    resolvers,
    routes: false,
    errorFormatter: (execution: ExecutionResult, ctx: MercuriusContext) => {
      const request = ctx.request
      return {
        statusCode: 200,
        response: { data: execution.data ?? null, errors: (execution.errors ?? []).map((e) => formatGraphqlError(e, request)) }
      }
    }
  })

  app.withTypeProvider<ZodTypeProvider>().post('/graphql', {
    onRequest: app.requireScope('logs.export'),
    schema: {
      operationId: 'graphql',
      summary: 'GraphQL: Harness\'s exportExecutions mutation and exportExecutionsStatus query',
      description: 'Harness FirstGen\'s export API: `mutation { exportExecutions(input: {clientMutationId, filters: [ExecutionFilter!], ' +
        'notifyOnlyTriggeringUser, userGroupIds}) { clientMutationId requestId status totalExecutions triggeredAt downloadLink expiresAt errorMessage } }` ' +
        'and `query { exportExecutionsStatus(requestId: "...") { ... } }`. The export is the one POST /v2/lm/exports makes, with its limits. ' +
        'Errors of a GraphQL request answer 200 with GraphQL errors whose extensions carry code (the contract\'s code) and requestId; ' +
        'the token, scope and group are checked as on REST (401, 403 with the contract\'s error body). Introspection is on; the schema is in docs/exports.md. Scope logs.export.',
      tags: ['Export'],
      security: [{ bearerAuth: [] }],
      body,
      response: { 200: answer, 400: errorResponse, 401: errorResponse, 403: errorResponse, 429: errorResponse }
    }
  }, async (request, reply) => {
    const { query, variables, operationName } = request.body
    try {
      const result = await app.graphql(query, { request, reply }, variables ?? undefined, operationName ?? undefined)
      // The formatter above has shaped the errors already.
      return { data: result.data ?? null, ...(result.errors === undefined ? {} : { errors: result.errors as unknown as ContractGraphqlError[] }) }
    } catch (err) {
      // Syntax and validation errors (an unknown field or enum value is named by graphql-js's message).
      const list = (err as { errors?: unknown }).errors
      if (!Array.isArray(list)) throw err
      return { data: null, errors: list.map((e: unknown) => formatGraphqlError(e instanceof GraphQLError ? e : new GraphQLError(String((e as Error).message)), request)) }
    }
  })
}
