// What the Postman generator reads from openapi/openapi.json: its operations, keyed by operationId (or
// "METHOD /path" where a route has none), and their response schemas made fit for Postman's JSON Schema check.

export interface Parameter { name: string, in: 'query' | 'path' | 'header', required?: boolean }
interface MediaType { schema?: unknown }
interface Response { description?: string, content?: Record<string, MediaType> }

export interface Operation {
  key: string
  method: string
  path: string
  summary: string
  description: string
  parameters: Parameter[]
  responses: Record<string, Response>
  /** Whether the operation asks for the bearer token. */
  secured: boolean
  requestMediaTypes: string[]
}

export interface OpenApiDocument {
  info: { title: string, description?: string, version: string }
  paths: Record<string, Record<string, {
    operationId?: string
    summary?: string
    description?: string
    parameters?: Parameter[]
    responses?: Record<string, Response>
    security?: unknown[]
    requestBody?: { content?: Record<string, MediaType> }
  }>>
  security?: unknown[]
  components?: { schemas?: Record<string, unknown> }
}

const METHODS = new Set(['get', 'put', 'post', 'delete', 'patch', 'head', 'options'])

/** The document's operations in the document's order. */
export function operationsOf (document: OpenApiDocument): Map<string, Operation> {
  const operations = new Map<string, Operation>()
  for (const [path, item] of Object.entries(document.paths)) {
    for (const [method, op] of Object.entries(item)) {
      if (!METHODS.has(method)) continue
      const key = op.operationId ?? `${method.toUpperCase()} ${path}`
      operations.set(key, {
        key,
        method: method.toUpperCase(),
        path,
        summary: op.summary ?? key,
        description: op.description ?? '',
        parameters: op.parameters ?? [],
        responses: op.responses ?? {},
        secured: (op.security ?? document.security ?? []).length > 0,
        requestMediaTypes: Object.keys(op.requestBody?.content ?? {})
      })
    }
  }
  return operations
}

const SAFE_INTEGER_BOUNDS = new Set([Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER])

/**
 * The schema of a response as Postman's `jsonSchema` assertion (ajv, JSON Schema draft 7) reads it: `$ref`s
 * inlined, OpenAPI's `nullable` as a null type, and what only documents (descriptions, formats, zod's
 * safe-integer bounds) left out. Undefined when the response documents no JSON shape.
 */
export function responseSchema (document: OpenApiDocument, operation: Operation, status: number, mediaType: string): unknown {
  const schema = operation.responses[String(status)]?.content?.[mediaType]?.schema
  if (schema === undefined) return undefined
  const plain = sandboxSchema(document, schema)
  return typeof plain === 'object' && plain !== null && Object.keys(plain).length > 0 ? plain : undefined
}

function sandboxSchema (document: OpenApiDocument, schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map((s) => sandboxSchema(document, s))
  if (typeof schema !== 'object' || schema === null) return schema
  const ref = (schema as { $ref?: string }).$ref
  if (ref !== undefined) {
    const name = ref.replace('#/components/schemas/', '')
    const target = document.components?.schemas?.[name]
    if (target === undefined) throw new Error(`openapi: ${ref} is not in components.schemas`)
    return sandboxSchema(document, target)
  }
  const out: Record<string, unknown> = {}
  const source = schema as Record<string, unknown>
  for (const [key, value] of Object.entries(source)) {
    if (key === 'description' || key === 'format' || key === 'example' || key === 'nullable') continue
    if ((key === 'minimum' || key === 'maximum') && SAFE_INTEGER_BOUNDS.has(value as number)) continue
    // Maps of schemas by name: their keys are names, not keywords.
    out[key] = key === 'properties'
      ? Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, sandboxSchema(document, v)]))
      : sandboxSchema(document, value)
  }
  if (source.nullable === true && typeof out.type === 'string') out.type = [out.type, 'null']
  return out
}
