import t from 'tap'
import { authHeaders, buildTestApp } from './helpers/app.js'

t.test('a line written can be read back', async (t) => {
  const { app } = await buildTestApp(t)
  const headers = await authHeaders()
  const now = new Date().toISOString()
  const post = await app.inject({ method: 'POST', url: '/v2/lm/executions/e-0001/logs', headers, payload: [{ timestamp: now, msg: 'hi' }] })
  t.equal(post.statusCode, 200, post.body)
  const get = await app.inject({ method: 'GET', url: '/v2/lm/executions/e-0001/logs', headers })
  t.equal(get.statusCode, 200)
  t.same(get.json().data.result.map((l: { msg: string }) => l.msg), ['hi'])
})
