// The GraphQL schema of POST /graphql: Harness FirstGen's exportExecutions mutation and its status query,
// with Harness's names (ExportExecutionsInput, ExecutionFilter, IdFilter, TimeFilter), so Harness scripts
// and the mutation Harness documents run unchanged. docs/exports.md prints it.
import { GraphQLError, GraphQLScalarType, Kind, type ValueNode } from 'graphql'

export const SCHEMA = `
"Epoch milliseconds, as Harness's DateTime: an integer (or a whole-number string) in input, a number in output."
scalar DateTime

enum IdOperator { EQUALS IN NOT_IN }
enum TimeOperator { AFTER BEFORE EQUALS }

"Runs whose value (a run label, or the run id for execution) is, or is not, among values. EQUALS is IN."
input IdFilter { operator: IdOperator! values: [String!]! }

"Runs whose time is after, before or at value (epoch milliseconds)."
input TimeFilter { operator: TimeOperator! value: DateTime! }

"""
One condition on runs; give exactly one field per filter, every filter must hold. application, service,
environment, pipeline, workflow, status, tag and triggeredBy are run labels; execution is run ids;
startTime is the run's first line, endTime its last line, creationTime when it was first written.
"""
input ExecutionFilter {
  application: IdFilter
  service: IdFilter
  environment: IdFilter
  pipeline: IdFilter
  workflow: IdFilter
  status: IdFilter
  tag: IdFilter
  triggeredBy: IdFilter
  execution: IdFilter
  startTime: TimeFilter
  endTime: TimeFilter
  creationTime: TimeFilter
}

input ExportExecutionsInput {
  clientMutationId: String
  filters: [ExecutionFilter!]
  "Email only the requesting token's email claim (userGroupIds are then not notified)."
  notifyOnlyTriggeringUser: Boolean
  "User groups (configured by the operator) to notify by email and Slack when the export is READY or FAILED."
  userGroupIds: [String!]
}

enum ExportExecutionsStatus { QUEUED READY FAILED EXPIRED }

"One recipient of the export's notification: an email address, or slack:<user group id>."
type ExportNotification { target: String! status: String! attempts: Int! lastError: String }

type ExportExecutionsPayload {
  clientMutationId: String
  requestId: String
  status: ExportExecutionsStatus
  totalExecutions: Int
  triggeredAt: DateTime
  downloadLink: String
  expiresAt: DateTime
  errorMessage: String
  notifications: [ExportNotification!]
}

type Query {
  "The export's status, as the mutation answers it; same resource group as the request."
  exportExecutionsStatus(requestId: String!): ExportExecutionsPayload
}

type Mutation {
  "Requests an export of every log line of the runs the filters select: the same export as POST /v2/lm/exports."
  exportExecutions(input: ExportExecutionsInput!): ExportExecutionsPayload
}
`

const MAX_EPOCH_MS = 8_640_000_000_000_000

function epochMs (value: unknown): number {
  const n = typeof value === 'string' && /^-?\d{1,16}$/.test(value) ? Number(value) : value
  if (typeof n !== 'number' || !Number.isInteger(n) || Math.abs(n) > MAX_EPOCH_MS) {
    throw new GraphQLError(`DateTime must be epoch milliseconds (a whole number), not ${JSON.stringify(value)}`)
  }
  return n
}

export const DateTime = new GraphQLScalarType({
  name: 'DateTime',
  serialize: (value) => value,
  parseValue: epochMs,
  parseLiteral: (node: ValueNode) => {
    if (node.kind === Kind.INT || node.kind === Kind.FLOAT) return epochMs(Number(node.value))
    if (node.kind === Kind.STRING) return epochMs(node.value)
    throw new GraphQLError('DateTime must be epoch milliseconds (a whole number)')
  }
})
