// The Postman collection's flow, in run order: write lines, read them back, page, filter, ship, fail,
// export, check health. Scripts run in Postman's sandbox (plain JavaScript, `pm`); each run of the
// collection makes fresh run ids and timestamps in its first request, so runs never collide.
import type { Folder } from './collection.js'

const js = String.raw

// The SAP body: every line has exactly these five string keys, timestamps in UTC with +00:00.
const sapLines = js`
const result = pm.response.json().data.result
pm.test('lines as SAP AI Core serves them', function () {
  result.forEach(function (line) {
    pm.expect(Object.keys(line).sort()).to.eql(['container', 'msg', 'pod', 'stream', 'timestamp'])
    Object.keys(line).forEach(function (key) { pm.expect(line[key]).to.be.a('string') })
    pm.expect(line.timestamp).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.(\d{3}|\d{6}|\d{9})\+00:00$/)
  })
})
const at = pm.collectionVariables.get('at')
const messages = result.map(function (line) { return line.msg })`

const writeLines = {
  json: [
    { timestamp: '{{at}}.123456789Z', msg: 'model loaded', pod: 'demo-pod-1', container: 'main', stream: 'stdout' },
    { timestamp: '{{at}}.5+00:00', msg: 'listening on :8080', pod: 'demo-pod-1', container: 'main', stream: 'stdout' },
    { timestamp: '{{at}}.5Z', msg: 'cache is cold', pod: 'demo-pod-1', container: 'main', stream: 'stderr' }
  ]
}

export const FLOW: Folder[] = [{
  name: '1 Write lines',
  description: 'Lines of a deployment (JSON) and of an execution (NDJSON); a retried write with the same Idempotency-Key is stored once.',
  steps: [{
    name: 'Write three lines of a deployment',
    operation: 'deployments.post_logs',
    description: 'The first request of a run: it picks fresh run ids and a time two minutes ago for every later request.',
    headers: { 'Idempotency-Key': '{{idempotencyKey}}' },
    body: writeLines,
    status: 200,
    prerequest: js`
const run = Date.now().toString(36) + Math.random().toString(36).slice(2, 6)
const now = Date.now()
const at = new Date(now - 120000).toISOString().slice(0, 19) // whole seconds, UTC, inside the default last hour
pm.collectionVariables.set('at', at)
pm.collectionVariables.set('deploymentId', 'pm-d-' + run)
pm.collectionVariables.set('executionId', 'pm-e-' + run)
pm.collectionVariables.set('shipperDeploymentId', 'pm-s-' + run)
pm.collectionVariables.set('unknownRunId', 'pm-none-' + run)
pm.collectionVariables.set('idempotencyKey', 'pm-' + run)
pm.collectionVariables.set('rangeStart', new Date(now - 600000).toISOString())
// An hour ago, written with a +02:00 offset as SAP's JS client may send it.
pm.collectionVariables.set('offsetStart', new Date(now - 3600000 + 7200000).toISOString().slice(0, 19) + '+02:00')
// Fluent Bit's default date: epoch seconds with 6 decimals; Loki's: epoch nanoseconds as a string.
pm.collectionVariables.set('fluentDate', (Date.parse(at + 'Z') / 1000 + 0.25).toFixed(6))
pm.collectionVariables.set('lokiNs', String(Date.parse(at + 'Z') + 750) + '000000')
pm.collectionVariables.set('otlpNs', String(Date.parse(at + 'Z') + 875) + '000000')
pm.collectionVariables.set('exportPolls', '0')`,
    test: js`
pm.test('3 lines accepted', function () { pm.expect(pm.response.json()).to.eql({ accepted: 3 }) })`
  }, {
    name: 'Retry the same write (Idempotency-Key)',
    operation: 'deployments.post_logs',
    headers: { 'Idempotency-Key': '{{idempotencyKey}}' },
    body: writeLines,
    status: 200,
    test: js`
pm.test('answered like the first time, stored once', function () {
  pm.expect(pm.response.headers.get('Idempotent-Replayed')).to.equal('true')
  pm.expect(pm.response.json()).to.eql({ accepted: 3 })
})`
  }, {
    name: 'Write NDJSON lines of an execution',
    operation: 'executions.post_logs',
    body: {
      contentType: 'application/x-ndjson',
      raw: '{"timestamp":"{{at}}.000001Z","msg":"epoch 1","pod":"train-0","container":"trainer","stream":"stdout"}\n' +
        '{"timestamp":"{{at}}.000002Z","msg":"epoch 2","pod":"train-0","container":"trainer","stream":"stdout"}\n'
    },
    status: 200,
    test: js`
pm.test('2 lines accepted', function () { pm.expect(pm.response.json()).to.eql({ accepted: 2 }) })`
  }]
}, {
  name: '2 Read',
  description: 'Reads as SAP AI Core answers them: the last hour by default, oldest first; $order, $top, and the Python client\'s spelling without $.',
  steps: [{
    name: 'Read oldest first',
    operation: 'kubesubmit.v4.deployments.get_logs',
    query: [['$top', '10']],
    status: 200,
    test: sapLines + js`
pm.test('the three lines, oldest first, ties in the order written, nanoseconds kept', function () {
  pm.expect(messages).to.eql(['model loaded', 'listening on :8080', 'cache is cold'])
  pm.expect(result.map(function (l) { return l.timestamp })).to.eql([at + '.123456789+00:00', at + '.500+00:00', at + '.500+00:00'])
  pm.expect(result[2]).to.include({ pod: 'demo-pod-1', container: 'main', stream: 'stderr' })
})
pm.test('no nextCursor: nothing remains', function () { pm.expect(pm.response.json().data).to.not.have.property('nextCursor') })`
  }, {
    name: 'Read the newest line ($order=desc, $top=1)',
    operation: 'kubesubmit.v4.deployments.get_logs',
    query: [['start', '{{offsetStart}}'], ['$order', 'desc'], ['$top', '1']],
    status: 200,
    test: sapLines + js`
pm.test('the newest line only, from a start with an offset', function () { pm.expect(messages).to.eql(['cache is cold']) })`
  }, {
    name: 'Read as SAP\'s Python client (top, order)',
    operation: 'kubesubmit.v4.deployments.get_logs',
    query: [['top', '2'], ['order', 'desc']],
    status: 200,
    test: sapLines + js`
pm.test('newest two, the exact reverse', function () { pm.expect(messages).to.eql(['cache is cold', 'listening on :8080']) })`
  }, {
    name: 'Read the execution',
    operation: 'kubesubmit.v4.executions.get_logs',
    status: 200,
    test: sapLines + js`
pm.test('the NDJSON lines, microseconds kept', function () {
  pm.expect(messages).to.eql(['epoch 1', 'epoch 2'])
  pm.expect(result[1].timestamp).to.equal(at + '.000002+00:00')
})`
  }]
}, {
  name: '3 Page with cursors',
  description: 'While lines remain, data.nextCursor is there; ?cursor= continues with no line repeated or lost.',
  steps: [{
    name: 'First page ($top=2)',
    operation: 'kubesubmit.v4.deployments.get_logs',
    query: [['$top', '2']],
    status: 200,
    test: sapLines + js`
pm.test('two lines and a nextCursor', function () {
  pm.expect(messages).to.eql(['model loaded', 'listening on :8080'])
  pm.expect(pm.response.json().data.nextCursor).to.be.a('string').that.is.not.empty
})
pm.collectionVariables.set('cursor', pm.response.json().data.nextCursor)`
  }, {
    name: 'Next page (cursor)',
    operation: 'kubesubmit.v4.deployments.get_logs',
    query: [['$top', '2'], ['cursor', '{{cursor}}']],
    status: 200,
    test: sapLines + js`
pm.test('the rest, and no further cursor', function () {
  pm.expect(messages).to.eql(['cache is cold'])
  pm.expect(pm.response.json().data).to.not.have.property('nextCursor')
})`
  }]
}, {
  name: '4 Filter and formats',
  description: 'Filters beyond SAP\'s parameters, and the text and NDJSON formats.',
  steps: [{
    name: 'Only stderr',
    operation: 'kubesubmit.v4.deployments.get_logs',
    query: [['stream', 'stderr']],
    status: 200,
    test: sapLines + js`
pm.test('the stderr line only', function () { pm.expect(messages).to.eql(['cache is cold']) })`
  }, {
    name: 'Lines of a pod containing a text',
    operation: 'kubesubmit.v4.deployments.get_logs',
    query: [['pod', 'demo-pod-1'], ['contains', 'listening']],
    status: 200,
    test: sapLines + js`
pm.test('the matching line only', function () { pm.expect(messages).to.eql(['listening on :8080']) })`
  }, {
    name: 'As text, gzip\'d',
    operation: 'kubesubmit.v4.deployments.get_logs',
    query: [['stream', 'stderr']],
    headers: { Accept: 'text/plain', 'Accept-Encoding': 'gzip' },
    status: 200,
    contentType: 'text/plain',
    test: js`
pm.test('<timestamp> <stream> <msg>, like kubectl logs --timestamps', function () {
  pm.expect(pm.response.text()).to.equal(pm.collectionVariables.get('at') + '.500+00:00 stderr cache is cold\n')
})`
  }, {
    name: 'As NDJSON',
    operation: 'kubesubmit.v4.deployments.get_logs',
    headers: { Accept: 'application/x-ndjson' },
    status: 200,
    contentType: 'application/x-ndjson',
    test: js`
pm.test('one line object per text line', function () {
  const lines = pm.response.text().trim().split('\n').map(function (l) { return JSON.parse(l) })
  pm.expect(lines.map(function (l) { return l.msg })).to.eql(['model loaded', 'listening on :8080', 'cache is cold'])
  pm.expect(Object.keys(lines[0]).sort()).to.eql(['container', 'msg', 'pod', 'stream', 'timestamp'])
})`
  }]
}, {
  name: '5 Shippers',
  description: 'What Fluent Bit, Vector, Promtail and Alloy send: records naming their run through pod labels.',
  steps: [{
    name: 'Fluent Bit records',
    operation: 'collector.post_logs',
    description: 'Fluent Bit\'s http output with Format json: one record with the pod\'s labels, one with none (counted as unmatched, not stored).',
    body: {
      contentType: 'application/json',
      raw: '[{"date": {{fluentDate}}, "log": "fluent line\\n", "stream": "stdout", "kubernetes": {"pod_name": "shipper-pod", "container_name": "app", "labels": {"ai.sap.com/deploymentId": "{{shipperDeploymentId}}"}}},\n' +
        ' {"date": {{fluentDate}}, "log": "no run label", "stream": "stdout", "kubernetes": {"pod_name": "other-pod", "labels": {}}}]'
    },
    status: 200,
    test: js`
pm.test('one accepted, one unmatched with its index', function () {
  const answer = pm.response.json()
  pm.expect(answer.accepted).to.equal(1)
  pm.expect(answer.unmatched).to.equal(1)
  pm.expect(answer.unmatchedSamples[0].index).to.equal(1)
})`
  }, {
    name: 'Loki push (JSON)',
    operation: 'loki.push',
    body: { json: { streams: [{ stream: { ai_sap_com_deploymentId: '{{shipperDeploymentId}}', pod: 'shipper-pod', container: 'app', stream: 'stderr' }, values: [['{{lokiNs}}', 'loki line']] }] } },
    status: 200,
    test: js`
pm.test('one entry accepted', function () { pm.expect(pm.response.json()).to.include({ accepted: 1, unmatched: 0 }) })`
  }, {
    name: 'OTLP/HTTP logs (JSON)',
    operation: 'otlp.export_logs',
    description: 'What an OpenTelemetry Collector\'s otlphttp exporter sends (in JSON here): resource attributes name the pod and container, a pod label the run.',
    body: {
      json: {
        resourceLogs: [{
          resource: { attributes: [{ key: 'k8s.pod.name', value: { stringValue: 'shipper-pod' } }, { key: 'k8s.container.name', value: { stringValue: 'app' } }, { key: 'k8s.pod.labels.ai.sap.com/deploymentId', value: { stringValue: '{{shipperDeploymentId}}' } }] },
          scopeLogs: [{ logRecords: [{ timeUnixNano: '{{otlpNs}}', severityNumber: 9, body: { stringValue: 'otlp line' } }] }]
        }]
      }
    },
    status: 200,
    test: js`
pm.test('every record stored: no partialSuccess', function () { pm.expect(pm.response.json()).to.eql({}) })`
  }, {
    name: 'Read the shipped lines',
    operation: 'kubesubmit.v4.deployments.get_logs',
    path: { deploymentId: '{{shipperDeploymentId}}' },
    status: 200,
    test: sapLines + js`
pm.test('the shippers\' lines, in time order, trailing newline dropped', function () {
  pm.expect(result).to.eql([
    { container: 'app', msg: 'fluent line', pod: 'shipper-pod', stream: 'stdout', timestamp: at + '.250+00:00' },
    { container: 'app', msg: 'loki line', pod: 'shipper-pod', stream: 'stderr', timestamp: at + '.750+00:00' },
    { container: 'app', msg: 'otlp line', pod: 'shipper-pod', stream: 'stdout', timestamp: at + '.875+00:00' }
  ])
})`
  }, {
    name: 'Label the deployment (Harness application, environment)',
    operation: 'deployments.patch',
    body: { json: { labels: { application: 'app-{{deploymentId}}', environment: 'prod' } } },
    status: 200,
    test: js`
pm.test('the run with its labels', function () {
  pm.expect(pm.response.json().labels).to.include({ application: 'app-' + pm.collectionVariables.get('deploymentId'), environment: 'prod' })
})`
  }, {
    name: 'Label the execution, removing one',
    operation: 'executions.patch',
    body: { json: { labels: { pipeline: 'nightly', status: null } } },
    status: 200,
    test: js`
pm.test('labels merged, null removed', function () { pm.expect(pm.response.json().labels).to.eql({ pipeline: 'nightly' }) })`
  }, {
    name: 'List runs by label',
    operation: 'runs.list',
    query: [['label', 'application=app-{{deploymentId}}']],
    status: 200,
    test: js`
pm.test('the labelled deployment', function () {
  const runs = pm.response.json().resources
  pm.expect(runs.map(function (r) { return r.id })).to.eql([pm.collectionVariables.get('deploymentId')])
})`
  }]
}, {
  name: '5b Grafana and logcli (Loki read API)',
  description: 'What Grafana\'s Loki data source and logcli call, over the shipped lines: a range query, the health check, labels, series, stats and volume.',
  steps: [{
    name: 'query_range: the shipped lines, oldest first',
    operation: 'loki.query_range',
    query: [['query', '{deployment_id="{{shipperDeploymentId}}"}'], ['direction', 'forward'], ['limit', '100']],
    status: 200,
    test: js`
const loki = pm.response.json().data
pm.test('resultType streams, nanosecond strings, the three shippers\' lines', function () {
  pm.expect(loki.resultType).to.equal('streams')
  const values = [].concat.apply([], loki.result.map(function (s) { return s.values }))
  values.sort(function (a, b) { return a[0] < b[0] ? -1 : 1 })
  pm.expect(values.map(function (v) { return v[1] })).to.eql(['fluent line', 'loki line', 'otlp line'])
  pm.expect(values[2][0]).to.equal(pm.collectionVariables.get('otlpNs'))
})`
  }, {
    name: 'query: Grafana\'s health check',
    operation: 'loki.query',
    query: [['query', 'vector(1)%2Bvector(1)']], // as Grafana sends it: '+' percent-encoded (a raw '+' is a space in a query string)
    status: 200,
    test: js`
pm.test('one sample of value 2', function () { pm.expect(pm.response.json().data.result[0].value[1]).to.equal('2') })`
  }, {
    name: 'labels',
    operation: 'loki.labels',
    status: 200,
    test: js`
pm.test('the run and line labels', function () { pm.expect(pm.response.json().data).to.include.members(['deployment_id', 'pod', 'container', 'stream']) })`
  }, {
    name: 'label values of pod for the run',
    operation: 'loki.label_values',
    path: { name: 'pod' },
    query: [['query', '{deployment_id="{{shipperDeploymentId}}"}']],
    status: 200,
    test: js`
pm.test('one pod', function () { pm.expect(pm.response.json().data).to.eql(['shipper-pod']) })`
  }, {
    name: 'series',
    operation: 'loki.series',
    query: [['match[]', '{deployment_id="{{shipperDeploymentId}}"}']],
    status: 200,
    test: js`
pm.test('stdout and stderr streams of the pod', function () {
  pm.expect(pm.response.json().data.map(function (s) { return s.stream }).sort()).to.eql(['stderr', 'stdout'])
})`
  }, {
    name: 'index/stats',
    operation: 'loki.index_stats',
    query: [['query', '{deployment_id="{{shipperDeploymentId}}"}']],
    status: 200,
    test: js`
pm.test('three entries in one run', function () { pm.expect(pm.response.json()).to.include({ streams: 1, entries: 3 }) })`
  }, {
    name: 'index/volume by stream',
    operation: 'loki.index_volume',
    query: [['query', '{deployment_id="{{shipperDeploymentId}}"}'], ['targetLabels', 'stream']],
    status: 200,
    test: js`
pm.test('a vector per stream', function () { pm.expect(pm.response.json().data.result).to.have.lengthOf(2) })`
  }, {
    name: 'unsupported LogQL: 400 naming it',
    operation: 'loki.query_range',
    query: [['query', '{deployment_id="{{shipperDeploymentId}}"} | json']],
    status: 400,
    errorCode: 'InvalidRequest',
    test: js`
pm.test('Loki\'s message names the stage', function () { pm.expect(pm.response.json().message).to.include('| json') })`
  }]
}, {
  name: '6 Errors',
  description: 'Every error answers the contract\'s body; requestId is the X-Request-Id header, target the path.',
  steps: [{
    name: '$top out of range',
    operation: 'kubesubmit.v4.deployments.get_logs',
    query: [['$top', '5001']],
    status: 400,
    errorCode: 'InvalidRequest',
    test: js`
pm.test('details name $top', function () { pm.expect(pm.response.json().error.details).to.eql({ parameter: '$top' }) })`
  }, {
    name: 'top and $top differ',
    operation: 'kubesubmit.v4.deployments.get_logs',
    query: [['$top', '1'], ['top', '2']],
    status: 400,
    errorCode: 'InvalidRequest'
  }, {
    name: 'A bad line rejects the write',
    operation: 'deployments.post_logs',
    body: { json: [{ timestamp: '{{at}}.7Z', msg: 'fine' }, { timestamp: 'yesterday', msg: 'bad time' }] },
    status: 400,
    errorCode: 'InvalidRequest',
    test: js`
pm.test('details name the line', function () { pm.expect(pm.response.json().error.details).to.include({ index: 1 }) })`
  }, {
    name: 'No token',
    operation: 'kubesubmit.v4.deployments.get_logs',
    noToken: true,
    status: 401,
    errorCode: 'Unauthorized',
    test: js`
pm.test('WWW-Authenticate: Bearer', function () { pm.expect(pm.response.headers.get('WWW-Authenticate')).to.match(/^Bearer/) })`
  }, {
    name: 'Bad resource group',
    operation: 'kubesubmit.v4.deployments.get_logs',
    headers: { 'AI-Resource-Group': '-no-' },
    status: 400,
    errorCode: 'InvalidRequest'
  }, {
    name: 'Unknown run',
    operation: 'kubesubmit.v4.deployments.get_logs',
    path: { deploymentId: '{{unknownRunId}}' },
    status: 404,
    errorCode: 'NotFound'
  }]
}, {
  name: '7 Exports',
  description: 'An archive for auditors, built in the background; its signed link downloads it without a token.',
  steps: [{
    name: 'Request an export',
    operation: 'exports.create',
    body: { json: { filters: { deploymentIds: ['{{deploymentId}}', '{{shipperDeploymentId}}'], start: '{{rangeStart}}' } } },
    status: 202,
    test: js`
const created = pm.response.json()
pm.test('queued, with both runs', function () {
  pm.expect(created.totalExecutions).to.equal(2)
  pm.expect(created.downloadLink).to.equal(null)
})
pm.collectionVariables.set('exportId', created.requestId)`
  }, {
    name: 'Poll the export until READY',
    operation: 'exports.get',
    path: { requestId: '{{exportId}}' },
    description: 'Runs again (pm.execution.setNextRequest) every half second while the export is QUEUED, at most 60 times.',
    status: 200,
    prerequest: js`
if (Number(pm.collectionVariables.get('exportPolls')) > 0) setTimeout(function () {}, 500)`,
    test: js`
const exported = pm.response.json()
const polls = Number(pm.collectionVariables.get('exportPolls')) + 1
if (exported.status === 'QUEUED' && polls < 60) {
  pm.collectionVariables.set('exportPolls', String(polls))
  pm.execution.setNextRequest(pm.info.requestName)
} else {
  pm.test('READY within 60 polls, with a signed link', function () {
    pm.expect(exported.status).to.equal('READY')
    pm.expect(exported.downloadLink).to.match(/\/v2\/lm\/exports\/[0-9a-f-]+\/download\?/)
    pm.expect(exported.expiresAt).to.be.a('string')
  })
}
if (exported.status === 'READY') {
  // The link's query, so the download goes to baseUrl whatever PUBLIC_BASE_URL the service has.
  const link = new (require('postman-collection').Url)(exported.downloadLink)
  pm.collectionVariables.set('downloadGroup', link.query.get('group'))
  pm.collectionVariables.set('downloadExpires', link.query.get('expires'))
  pm.collectionVariables.set('downloadSignature', link.query.get('signature'))
}`
  }, {
    name: 'List exports',
    operation: 'exports.list',
    query: [['$top', '100']],
    status: 200,
    test: js`
pm.test('the export is listed', function () {
  const ids = pm.response.json().resources.map(function (e) { return e.requestId })
  pm.expect(ids).to.include(pm.collectionVariables.get('exportId'))
})`
  }, {
    name: 'Download the archive (link, no token)',
    operation: 'exports.download',
    path: { requestId: '{{exportId}}' },
    query: [['group', '{{downloadGroup}}'], ['expires', '{{downloadExpires}}'], ['signature', '{{downloadSignature}}']],
    status: 200,
    test: js`
const archive = pm.response.stream
pm.test('a gzip file', function () { pm.expect([archive[0], archive[1]]).to.eql([0x1f, 0x8b]) })
pm.test('its sha256 is X-Archive-Sha256', function () {
  const CryptoJS = require('crypto-js')
  pm.expect(CryptoJS.SHA256(CryptoJS.enc.Hex.parse(archive.toString('hex'))).toString()).to.equal(pm.response.headers.get('X-Archive-Sha256'))
})`
  }, {
    name: 'An altered link',
    operation: 'exports.download',
    path: { requestId: '{{exportId}}' },
    query: [['group', '{{downloadGroup}}'], ['expires', '{{downloadExpires}}'], ['signature', 'x{{downloadSignature}}']],
    status: 403,
    errorCode: 'Forbidden'
  }, {
    name: 'Harness: the exportExecutions mutation',
    operation: 'graphql',
    description: 'Harness FirstGen\'s GraphQL export, as its documentation prints it: the labelled deployment of folder 5.',
    body: {
      json: {
        query: 'mutation { exportExecutions(input: { clientMutationId: "postman" filters: [ {application: {operator: IN, values: ["app-{{deploymentId}}"]}}, ' +
          '{startTime: {operator: AFTER, value: 1590969600000}}, ] }) { clientMutationId requestId status totalExecutions triggeredAt downloadLink expiresAt errorMessage } }'
      }
    },
    status: 200,
    test: js`
const answer = pm.response.json()
pm.test('queued, with the one labelled run', function () {
  pm.expect(answer.errors).to.equal(undefined)
  pm.expect(answer.data.exportExecutions).to.include({ clientMutationId: 'postman', status: 'QUEUED', totalExecutions: 1 })
  pm.expect(answer.data.exportExecutions.triggeredAt).to.be.a('number')
})
pm.collectionVariables.set('harnessExportId', answer.data.exportExecutions.requestId)`
  }, {
    name: 'Harness: REST status',
    operation: 'harness.export_executions.status',
    path: { requestId: '{{exportId}}' },
    status: 200,
    test: js`
pm.test('the READY export in Harness\'s envelope, times in epoch ms', function () {
  const resource = pm.response.json().resource
  pm.expect(resource.status).to.equal('READY')
  pm.expect(resource.expiresAt).to.be.a('number')
})`
  }, {
    name: 'Harness: REST download (the signed link\'s query)',
    operation: 'harness.export_executions.download',
    path: { requestId: '{{exportId}}' },
    query: [['group', '{{downloadGroup}}'], ['expires', '{{downloadExpires}}'], ['signature', '{{downloadSignature}}']],
    status: 200,
    test: js`
pm.test('a gzip file', function () { pm.expect([pm.response.stream[0], pm.response.stream[1]]).to.eql([0x1f, 0x8b]) })`
  }]
}, {
  name: '8 Health',
  description: 'No token needed.',
  steps: [{
    name: 'Liveness',
    operation: 'GET /healthz',
    status: 200
  }, {
    name: 'Readiness',
    operation: 'GET /readyz',
    status: 200
  }]
}]
