// The part of Loki's HTTP read API that Grafana's Loki data source and logcli call (docs/reading.md), over
// this service's store and tenancy: bearer token, and X-Scope-OrgID or AI-Resource-Group for the group.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { Config } from '../../config.js'
import { errors } from '../../errors.js'
import { LokiQueryError } from '../../loki/logql.js'
import { directionOf, limitOf, lokiParams, parseLokiTime, stepOf, timeRange } from '../../loki/params.js'
import { LokiReader } from '../../loki/query.js'
import { errorBody, loggedApiError } from '../../plugins/error-handler.js'
import { errorResponse } from '../../schemas/common.js'
import lokiTailRoute from './tail.js'

const JSON_TYPE = 'application/json; charset=utf-8'

const lokiHeaders = z.looseObject({
  'x-scope-orgid': z.string().optional().meta({ description: 'Loki\'s tenant header (logcli --org-id, the data source\'s custom header): the resource group when AI-Resource-Group is absent.' }),
  'ai-resource-group': z.string().optional().meta({ description: 'The resource group; default "default".' })
})

const text = (description: string) => z.union([z.string(), z.array(z.string())]).optional().meta({ description })
const QUERY = text('LogQL (the subset in docs/reading.md).')
const START = text('Nanoseconds since the epoch (10 digits or fewer: seconds), float seconds, or RFC 3339; default end minus since.')
const END = text('As start; default now.')
const SINCE = text('A duration (5m, 1h) before end; default 1h.')

const lokiAnswer = z.looseObject({ status: z.literal('success'), data: z.unknown() }).meta({ description: 'Loki\'s JSON answer.' })
const lokiError = errorResponse.extend({
  status: z.literal('error'),
  code: z.int().meta({ description: 'The HTTP status.' }),
  message: z.string().meta({ description: 'What Grafana and logcli show; the same as error.message.' })
}).meta({ id: 'LokiError', description: 'Loki\'s error fields beside the contract\'s error.' })
const RESPONSES = { 200: lokiAnswer, 400: lokiError, 401: lokiError, 403: lokiError }

const send = (reply: FastifyReply, data: unknown): FastifyReply => (reply as FastifyReply).type(JSON_TYPE).send(JSON.stringify({ status: 'success', data }))

/** Loki's error body ({status, code, message}, which Grafana and logcli show) beside the contract's error. */
function sendLokiError (request: FastifyRequest, reply: FastifyReply, err: FastifyError): void {
  const apiError = loggedApiError(err instanceof LokiQueryError ? errors.invalidRequest(err.message, { parameter: 'query' }) : err, request)
  if (apiError.headers !== undefined) reply.headers(apiError.headers)
  reply.code(apiError.statusCode).type(JSON_TYPE)
    .send(JSON.stringify({ status: 'error', code: apiError.statusCode, message: apiError.message, ...errorBody(request, apiError) }))
}

export default async function lokiReadRoutes (app: FastifyInstance, opts: { config: Config }): Promise<void> {
  const { config } = opts
  app.setErrorHandler((err: FastifyError, request, reply) => { sendLokiError(request, reply, err) })
  const reader = (request: FastifyRequest): LokiReader => new LokiReader(app, request.resourceGroup, config)
  const common = { onRequest: app.requireScope('logs.read'), config: { tenantHeaderNamesGroup: true } }
  const schema = (operationId: string, summary: string, description: string, querystring: Record<string, z.ZodType>) => ({
    operationId,
    summary,
    description: `${description} Scope logs.read.`,
    tags: ['Loki'],
    security: [{ bearerAuth: [] }],
    headers: lokiHeaders,
    querystring: z.looseObject(querystring),
    response: RESPONSES
  })
  const route = app.withTypeProvider<ZodTypeProvider>()

  route.get('/loki/api/v1/query_range', {
    ...common,
    schema: schema('loki.query_range', 'Loki query_range: lines (streams) or a metric (matrix) over a time range',
      'Log queries answer resultType streams with the first limit lines in direction; metric queries (count_over_time, rate, sum by) a matrix at step points.',
      { query: QUERY, start: START, end: END, since: SINCE, limit: text('Lines at most; default 100, up to LOKI_MAX_ENTRIES.'), direction: text('forward or backward (default).'), step: text('A duration or seconds; default range/250.') })
  }, async (request, reply) => {
    const params = lokiParams(request.url)
    const range = timeRange(params, app.now(), config.loki.maxQueryHours)
    return send(reply, await reader(request).range(params.get('query') ?? '', range, limitOf(params, config.loki.maxEntries), directionOf(params), stepOf(params, range)))
  })

  route.get('/loki/api/v1/query', {
    ...common,
    schema: schema('loki.query', 'Loki query: a metric at one time (vector)', 'Grafana\'s health check sends vector(1)+vector(1) here.',
      { query: QUERY, time: text('The evaluation time; default now.'), limit: text('Ignored for metric queries.'), direction: text('Ignored for metric queries.') })
  }, async (request, reply) => {
    const params = lokiParams(request.url)
    const time = params.get('time')
    return send(reply, await reader(request).instant(params.get('query') ?? '', time === null || time === '' ? app.now() : parseLokiTime(time, 'time')))
  })

  route.get('/loki/api/v1/labels', {
    ...common,
    schema: schema('loki.labels', 'Loki label names', 'Names with a value in the time range (of the query\'s lines when query is given).', { start: START, end: END, since: SINCE, query: QUERY })
  }, async (request, reply) => {
    const params = lokiParams(request.url)
    const r = reader(request)
    return send(reply, await r.labelNames(r.selector(params.get('query')), timeRange(params, app.now(), config.loki.maxQueryHours)))
  })

  route.get('/loki/api/v1/label/:name/values', {
    ...common,
    schema: { ...schema('loki.label_values', 'Loki label values', 'Values of one label in the time range (of the query\'s lines when query is given).', { start: START, end: END, since: SINCE, query: QUERY }), params: z.object({ name: z.string() }) }
  }, async (request, reply) => {
    const params = lokiParams(request.url)
    const r = reader(request)
    return send(reply, await r.labelValues(request.params.name, r.selector(params.get('query')), timeRange(params, app.now(), config.loki.maxQueryHours)))
  })

  route.get('/loki/api/v1/series', {
    ...common,
    schema: schema('loki.series', 'Loki series', 'The label sets of the streams the selectors match in the time range.', { 'match[]': text('Stream selectors, repeated.'), start: START, end: END, since: SINCE })
  }, async (request, reply) => {
    const params = lokiParams(request.url)
    const r = reader(request)
    const matches = [...params.getAll('match[]'), ...params.getAll('match')]
    if (matches.length === 0) throw new LokiQueryError('at least one match[] selector is required')
    return send(reply, await r.series(matches.map((m) => r.selector(m)), timeRange(params, app.now(), config.loki.maxQueryHours)))
  })

  route.get('/loki/api/v1/index/stats', {
    ...common,
    schema: {
      ...schema('loki.index_stats', 'Loki index stats: an estimate of what a query reads',
        'For run labels alone, from the matching runs\' line counts (all time; streams and chunks are runs, bytes 0); with pod, container or stream matchers, counted from the lines in range.',
        { query: QUERY, start: START, end: END }),
      response: { ...RESPONSES, 200: z.object({ streams: z.int(), chunks: z.int(), bytes: z.int(), entries: z.int() }).meta({ description: 'Without Loki\'s status/data envelope, as Loki answers it.' }) }
    }
  }, async (request, reply) => {
    const params = lokiParams(request.url)
    const r = reader(request)
    // Loki answers this one without the status/data envelope.
    return await (reply as FastifyReply).type(JSON_TYPE).send(JSON.stringify(await r.indexStats(r.selector(params.get('query')), timeRange(params, app.now(), config.loki.maxQueryHours))))
  })

  route.get('/loki/api/v1/index/volume', {
    ...common,
    schema: schema('loki.index_volume', 'Loki volume: bytes per label value', 'Bytes of the matching lines in range, per value of targetLabels (default: the selector\'s labels), largest first.',
      { query: QUERY, start: START, end: END, limit: text('Series at most; default 100.'), targetLabels: text('Comma-separated label names.'), aggregateBy: text('series (default) or labels.') })
  }, async (request, reply) => {
    const params = lokiParams(request.url)
    const r = reader(request)
    const targets = (params.get('targetLabels') ?? '').split(',').map((l) => l.trim()).filter((l) => l !== '')
    return send(reply, await r.volume(r.selector(params.get('query')), timeRange(params, app.now(), config.loki.maxQueryHours), targets, limitOf(params, config.loki.maxEntries)))
  })

  route.get('/loki/api/v1/status/buildinfo', {
    schema: {
      operationId: 'loki.buildinfo',
      summary: 'Loki build information, which Grafana reads to pick the features it uses',
      description: 'No token needed. The version is the Loki API level this service answers like.',
      tags: ['Loki'],
      response: { 200: z.object({ version: z.string(), revision: z.string(), branch: z.string(), buildUser: z.string(), buildDate: z.string(), goVersion: z.string() }) }
    }
  }, async () => ({ version: '2.9.0', revision: 'run-logs', branch: '', buildUser: '', buildDate: '', goVersion: '' }))

  await app.register(lokiTailRoute, { config })
}
