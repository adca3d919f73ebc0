// `npm run postman` writes postman/run-logs.postman_collection.json from openapi/openapi.json and the flow
// in flow.ts; `npm run postman:check` fails when the committed collection is stale. An operation the flow
// does not cover gets a plain request in "9 Other operations" when it needs no values, else the run fails.
import { readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { buildCollection, type Folder, type Step } from './collection.js'
import { FLOW } from './flow.js'
import { operationsOf, type OpenApiDocument, type Operation } from './openapi.js'

const ROOT = path.resolve(import.meta.dirname, '../..')
const SOURCE = path.join(ROOT, 'openapi/openapi.json')
const TARGET = path.join(ROOT, 'postman/run-logs.postman_collection.json')

/** A request for each operation the flow leaves out: a GET with no required parameter, expecting its first 2xx. */
function otherOperations (operations: Map<string, Operation>, flow: Folder[]): Folder[] {
  const covered = new Set(flow.flatMap((folder) => folder.steps.map((step) => step.operation)))
  const steps: Step[] = []
  for (const operation of operations.values()) {
    if (covered.has(operation.key)) continue
    const required = operation.parameters.filter((p) => p.required === true && p.in !== 'header')
    const status = Object.keys(operation.responses).map(Number).filter((s) => s >= 200 && s < 300).sort()[0]
    if (operation.method !== 'GET' || required.length > 0 || status === undefined) {
      throw new Error(`${operation.key} (${operation.method} ${operation.path}) has no request in the Postman flow: add a step for it to scripts/postman/flow.ts`)
    }
    steps.push({ name: operation.summary, operation: operation.key, status })
  }
  return steps.length === 0 ? [] : [{ name: '9 Other operations', description: 'Operations the flow above does not use yet, each called plainly.', steps }]
}

const document = JSON.parse(await readFile(SOURCE, 'utf8')) as OpenApiDocument
const operations = operationsOf(document)
let collection: string
try {
  collection = JSON.stringify(buildCollection(document, operations, [...FLOW, ...otherOperations(operations, FLOW)]), null, 2) + '\n'
} catch (err) {
  console.error(err instanceof Error ? err.message : err)
  process.exit(1)
}
const relative = path.relative(ROOT, TARGET)

if (process.argv.includes('--check')) {
  if (await readFile(TARGET, 'utf8').catch(() => '') !== collection) {
    console.error(`${relative} is stale: run \`npm run postman\` and commit the result.`)
    process.exit(1)
  }
  console.log(`${relative} is up to date`)
} else {
  await writeFile(TARGET, collection)
  console.log(`wrote ${relative}`)
}
