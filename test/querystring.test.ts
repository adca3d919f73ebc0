// The query-string parser keeps a raw '+', as SAP's JS client sends offsets unencoded.
import t from 'tap'
import { parseQueryString } from '../src/querystring.js'

t.test('a raw + stays a +, %2B is a +, and %20 a space', async (t) => {
  t.same({ ...parseQueryString('start=2024-01-01T00:00:00+02:00') }, { start: '2024-01-01T00:00:00+02:00' })
  t.same({ ...parseQueryString('start=2024-01-01T00:00:00%2B02:00') }, { start: '2024-01-01T00:00:00+02:00' })
  t.same({ ...parseQueryString('start=2024-01-01T00:00:00%2002:00') }, { start: '2024-01-01T00:00:00 02:00' })
})

t.test('keys are decoded, repeats become lists, empty values stay empty', async (t) => {
  t.same({ ...parseQueryString('%24top=5&$order=desc&a=1&a=2&flag') }, { $top: '5', $order: 'desc', a: ['1', '2'], flag: '' })
  t.same({ ...parseQueryString('') }, {})
})

t.test('a malformed escape is kept as sent, and __proto__ is only a key', async (t) => {
  t.same({ ...parseQueryString('start=%ZZ') }, { start: '%ZZ' })
  const parsed = parseQueryString('__proto__=x')
  t.equal(Object.getOwnPropertyDescriptor(parsed, '__proto__')?.value, 'x')
  t.equal(Object.getPrototypeOf(parsed), null)
})
