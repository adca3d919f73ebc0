// The OpenAPI document, generated from the route schemas, and its UI at /documentation behind the
// security headers of @fastify/helmet (the API's JSON answers need none of them but nosniff, see app.ts).
import helmet from '@fastify/helmet'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod'

const API_VERSION = '0.1.0'

// What swagger-ui needs, as @fastify/swagger-ui's own staticCSP states it: its scripts and styles are files
// under /documentation/static (no inline script), images may be data: URLs, and it fetches /documentation/json.
// No upgrade-insecure-requests and no HSTS: the service is often reached over plain http (127.0.0.1:8080),
// and HSTS for a host is the TLS proxy's decision.
const DOCS_CSP = {
  defaultSrc: ["'self'"],
  baseUri: ["'self'"],
  connectSrc: ["'self'"],
  fontSrc: ["'self'", 'data:'],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
  imgSrc: ["'self'", 'data:'],
  objectSrc: ["'none'"],
  scriptSrc: ["'self'"],
  scriptSrcAttr: ["'none'"],
  styleSrc: ["'self'", "'unsafe-inline'"]
}

async function swaggerPlugin (app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Run logs',
        version: API_VERSION,
        description: 'Stores and serves the logs of deployments and executions. The GET endpoints answer as SAP AI Core\'s AI API does.'
      },
      components: {
        securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } }
      },
      tags: [
        { name: 'Deployment', description: 'Logs of deployments' },
        { name: 'Execution', description: 'Logs of executions' },
        { name: 'Runs', description: 'The runs of a resource group' },
        { name: 'Export', description: 'Archives of logs for auditors' },
        { name: 'Collector', description: 'Records of many runs from log shippers (Fluent Bit, Vector, Promtail, Alloy)' },
        { name: 'Health', description: 'Liveness and readiness' }
      ]
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject
  })
  // In a context of its own, so helmet's hooks apply to the UI's routes only.
  await app.register(async function documentationUi (docs) {
    await docs.register(helmet, {
      contentSecurityPolicy: { useDefaults: false, directives: DOCS_CSP },
      strictTransportSecurity: false,
      xFrameOptions: { action: 'deny' }
    })
    await docs.register(swaggerUi, { routePrefix: '/documentation' })
  })
}

export default fp(swaggerPlugin, { name: 'swagger' })
