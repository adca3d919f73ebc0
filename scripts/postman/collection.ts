// Builds the Postman collection (v2.1) from the OpenAPI operations and the flow of steps: each request's
// URL, token, group header and checks come from its operation, so a renamed parameter or a changed
// response breaks the generation or the run, never silently the collection.
import { createHash } from 'node:crypto'
import { responseSchema, type OpenApiDocument, type Operation } from './openapi.js'

export interface Step {
  name: string
  /** operationId, or "METHOD /path" for a route without one. */
  operation: string
  description?: string
  /** Values of path parameters; a parameter not given is `{{its name}}`. */
  path?: Record<string, string>
  /** Query parameters in order; each must be one the operation declares. */
  query?: Array<[string, string]>
  headers?: Record<string, string>
  /** No bearer token, though the operation asks for one. */
  noToken?: boolean
  /** A JSON body (strings may hold {{variables}}), or raw text sent with its Content-Type. */
  body?: { json: unknown } | { raw: string, contentType: string }
  status: number
  /** Expected Content-Type; default the response's first documented one. */
  contentType?: string
  /** For an error status: the contract's error code. */
  errorCode?: string
  prerequest?: string
  test?: string
}

export interface Folder { name: string, description: string, steps: Step[] }

interface Item { id: string, name: string, [key: string]: unknown }

export const COLLECTION_VARIABLES = [
  { key: 'baseUrl', value: 'http://localhost:8080', description: 'The service, without a trailing slash.' },
  { key: 'token', value: '', description: 'A bearer token with logs.read, logs.write and logs.export (dev mode: `npm run token`).' },
  { key: 'resourceGroup', value: 'default', description: 'Sent as AI-Resource-Group; the token must allow it.' }
]

/** A UUID made from a name, so the collection is the same bytes every time it is generated. */
function stableId (name: string): string {
  const hex = createHash('sha1').update(name).digest('hex')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${((parseInt(hex.slice(16, 18), 16) & 0x3f) | 0x80).toString(16)}${hex.slice(18, 20)}-${hex.slice(20, 32)}`
}

const lines = (script: string): string[] => script.trim().split('\n')

export function buildCollection (document: OpenApiDocument, operations: Map<string, Operation>, folders: Folder[]): object {
  const names = new Set<string>()
  const item = folders.map((folder) => ({
    id: stableId(folder.name),
    name: folder.name,
    description: folder.description,
    item: folder.steps.map((step) => {
      if (names.has(step.name)) throw new Error(`postman flow: two requests are named "${step.name}" (pm.execution.setNextRequest needs unique names)`)
      names.add(step.name)
      const operation = operations.get(step.operation)
      if (operation === undefined) throw new Error(`postman flow: step "${step.name}" names ${step.operation}, which openapi/openapi.json does not have`)
      return requestItem(document, operation, step)
    })
  }))
  return {
    info: {
      _postman_id: stableId(document.info.title),
      name: document.info.title,
      description: `${document.info.description ?? ''}\n\nGenerated from openapi/openapi.json by \`npm run postman\`; do not edit by hand. ` +
        'Set `baseUrl`, `token` and `resourceGroup`, then run the folders in order (each run uses fresh run ids).',
      schema: 'https://schema.getpostman.com/json/collection/v2.1.0/collection.json'
    },
    item,
    auth: { type: 'bearer', bearer: [{ key: 'token', value: '{{token}}', type: 'string' }] },
    variable: COLLECTION_VARIABLES.map((v) => ({ ...v, type: 'string' }))
  }
}

function requestItem (document: OpenApiDocument, operation: Operation, step: Step): Item {
  const declared = new Map(operation.parameters.map((p) => [`${p.in}:${p.name.toLowerCase()}`, p]))
  for (const [name] of step.query ?? []) {
    if (!declared.has(`query:${name.toLowerCase()}`)) throw new Error(`postman flow: step "${step.name}" sends ?${name}, which ${operation.key} does not declare`)
  }
  if (operation.responses[String(step.status)] === undefined) throw new Error(`postman flow: step "${step.name}" expects ${step.status}, which ${operation.key} does not document`)

  const pathSegments = operation.path.split('/').filter(Boolean).map((segment) => {
    const m = /^\{(.+)\}$/.exec(segment)
    return m === null ? segment : (step.path?.[m[1] as string] ?? `{{${m[1] as string}}}`)
  })
  const query = (step.query ?? []).map(([key, value]) => ({ key, value }))
  const rawQuery = query.length > 0 ? '?' + query.map((q) => `${q.key}=${q.value}`).join('&') : ''
  const header: Array<{ key: string, value: string }> = []
  if (declared.has('header:ai-resource-group')) header.push({ key: 'AI-Resource-Group', value: '{{resourceGroup}}' })
  for (const [key, value] of Object.entries(step.headers ?? {})) header.push({ key, value })

  let body: object | undefined
  if (step.body !== undefined) {
    const contentType = 'json' in step.body ? 'application/json' : step.body.contentType
    if (!operation.requestMediaTypes.includes(contentType)) throw new Error(`postman flow: step "${step.name}" sends ${contentType}, which ${operation.key} does not take`)
    header.push({ key: 'Content-Type', value: contentType })
    body = 'json' in step.body
      ? { mode: 'raw', raw: JSON.stringify(step.body.json, null, 2), options: { raw: { language: 'json' } } }
      : { mode: 'raw', raw: step.body.raw }
  }

  const events = []
  if (step.prerequest !== undefined) events.push({ listen: 'prerequest', script: { id: stableId(`${step.name} prerequest`), type: 'text/javascript', exec: lines(step.prerequest) } })
  events.push({ listen: 'test', script: { id: stableId(`${step.name} test`), type: 'text/javascript', exec: [...checks(document, operation, step), ...(step.test === undefined ? [] : lines(step.test))] } })

  return {
    id: stableId(step.name),
    name: step.name,
    event: events,
    request: {
      ...(operation.secured && step.noToken !== true ? {} : { auth: { type: 'noauth' } }),
      method: operation.method,
      header,
      ...(body === undefined ? {} : { body }),
      url: {
        raw: `{{baseUrl}}/${pathSegments.join('/')}${rawQuery}`,
        host: ['{{baseUrl}}'],
        path: pathSegments,
        ...(query.length > 0 ? { query } : {})
      },
      description: [operation.summary, step.description ?? '', operation.description].filter(Boolean).join('\n\n')
    }
  }
}

/** The checks every request gets from its operation: status, Content-Type, the documented body, and the contract's error body. */
function checks (document: OpenApiDocument, operation: Operation, step: Step): string[] {
  const documented = Object.keys(operation.responses[String(step.status)]?.content ?? {})
  const contentType = step.contentType ?? documented[0]
  const out = [
    `// Generated from ${operation.key} in openapi/openapi.json by \`npm run postman\`.`,
    `pm.test('status ${step.status}', function () { pm.response.to.have.status(${step.status}) })`
  ]
  if (contentType !== undefined) {
    out.push(`pm.test('Content-Type ${contentType}', function () { pm.expect(pm.response.headers.get('Content-Type')).to.match(/^${contentType.replace('/', '\\/')}(;|$)/) })`)
  }
  const schema = contentType === 'application/json' ? responseSchema(document, operation, step.status, contentType) : undefined
  if (schema !== undefined) {
    out.push(`pm.test('body as documented', function () { pm.response.to.have.jsonSchema(${JSON.stringify(schema)}) })`)
  }
  if (step.status >= 400) {
    if (step.errorCode === undefined) throw new Error(`postman flow: step "${step.name}" expects ${step.status} but names no error code`)
    out.push(
      `pm.test('error ${step.errorCode}: message, requestId = X-Request-Id, target = path', function () {`,
      '  const error = pm.response.json().error',
      `  pm.expect(error.code).to.equal('${step.errorCode}')`,
      '  pm.expect(error.message).to.be.a(\'string\').that.is.not.empty',
      '  pm.expect(error.requestId).to.equal(pm.response.headers.get(\'X-Request-Id\'))',
      '  pm.expect(error.target).to.equal(pm.request.url.getPath())',
      '})'
    )
  }
  return out
}
