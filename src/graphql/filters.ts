// Harness's ExecutionFilter list as conditions on runs: label filters (application, service, ...), run ids
// (execution) and run times. Each filter object holds exactly one field; anything else is an error naming it.
import { errors } from '../errors.js'
import { isLabelValue, type LabelCondition, type RunConditions, type RunIdCondition, type RunTimeField, type TimeCondition } from '../labels.js'

interface IdFilter { operator: 'EQUALS' | 'IN' | 'NOT_IN', values: string[] }
interface TimeFilter { operator: 'AFTER' | 'BEFORE' | 'EQUALS', value: number }
export type ExecutionFilter = Record<string, IdFilter | TimeFilter | null | undefined>

const LABEL_FIELDS = ['application', 'service', 'environment', 'pipeline', 'workflow', 'status', 'tag', 'triggeredBy'] as const
const TIME_FIELDS: RunTimeField[] = ['startTime', 'endTime', 'creationTime']
const MAX_VALUES = 1000

function idCondition (field: string, filter: IdFilter): { operator: 'IN' | 'NOT_IN', values: string[] } {
  if (filter.values.length === 0 || filter.values.length > MAX_VALUES) {
    throw errors.invalidRequest(`Filter ${field} needs 1 to ${MAX_VALUES} values.`, { filter: field })
  }
  const bad = filter.values.find((v) => !isLabelValue(v))
  if (bad !== undefined) throw errors.invalidRequest(`Filter ${field} has a value that is too long (over 256 characters) or holds control characters.`, { filter: field })
  return { operator: filter.operator === 'NOT_IN' ? 'NOT_IN' : 'IN', values: [...new Set(filter.values)] }
}

export function runConditionsOf (filters: ExecutionFilter[]): RunConditions {
  const labels: LabelCondition[] = []
  const runIds: RunIdCondition[] = []
  const times: TimeCondition[] = []
  filters.forEach((filter, index) => {
    const given = Object.entries(filter).filter(([, v]) => v !== null && v !== undefined)
    if (given.length !== 1) {
      throw errors.invalidRequest(`Each ExecutionFilter holds exactly one field; filters[${index}] holds ${given.length === 0 ? 'none' : given.map(([k]) => k).join(', ')}.`, { index })
    }
    const [field, value] = given[0] as [string, IdFilter | TimeFilter]
    if ((LABEL_FIELDS as readonly string[]).includes(field)) labels.push({ key: field, ...idCondition(field, value as IdFilter) })
    else if (field === 'execution') runIds.push(idCondition(field, value as IdFilter))
    else if ((TIME_FIELDS as string[]).includes(field)) times.push({ field: field as RunTimeField, operator: (value as TimeFilter).operator, epochMs: (value as TimeFilter).value })
    else throw errors.invalidRequest(`ExecutionFilter field ${field} is not supported.`, { filter: field })
  })
  return {
    ...(labels.length > 0 ? { labels } : {}),
    ...(runIds.length > 0 ? { runIds } : {}),
    ...(times.length > 0 ? { times } : {})
  }
}
