// The OpenAPI document, generated from the route schemas, and its UI at /documentation.
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod'

export const API_VERSION = '0.1.0'

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
  await app.register(swaggerUi, { routePrefix: '/documentation' })
}

export default fp(swaggerPlugin, { name: 'swagger' })
