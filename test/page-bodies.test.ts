// The buffers JSON pages are rendered into: one given back serves the next page, one still lent is never
// lent again, small and foreign buffers are left alone, and the free ones stay under their byte cap.
import t from 'tap'
import { PageBodies } from '../src/read/page-bodies.js'

t.test('a buffer given back is lent again; one still lent is not', async (t) => {
  const bodies = new PageBodies()
  const first = bodies.lend(1_500_000)
  t.ok(first.length >= 1_500_000)
  const second = bodies.lend(1_500_000)
  t.not(second.buffer, first.buffer, 'two pages in flight never share a buffer')
  bodies.giveBack(first.subarray(0, 1_234_567))
  t.same(bodies.state, { buffers: 1, bytes: first.length })
  bodies.giveBack(first.subarray(0, 10))
  t.same(bodies.state.buffers, 1, 'a second give-back of the same buffer counts once')
  t.equal(bodies.lend(200_000).buffer, first.buffer, 'the next page is written in the freed buffer')
  t.same(bodies.state, { buffers: 0, bytes: 0 })
})

t.test('the smallest free buffer that fits is lent; a larger page gets a new one', async (t) => {
  const bodies = new PageBodies()
  const big = bodies.lend(2_000_000)
  const small = bodies.lend(300_000)
  bodies.giveBack(big)
  bodies.giveBack(small)
  t.equal(bodies.lend(100_000).buffer, small.buffer)
  const larger = bodies.lend(3_000_000)
  t.not(larger.buffer, big.buffer)
  t.ok(larger.length >= 3_000_000)
})

t.test('small pages, foreign buffers and buffers beyond the cap are not kept', async (t) => {
  const bodies = new PageBodies(3 << 20, 2 << 20)
  bodies.giveBack(bodies.lend(1000))
  bodies.giveBack(Buffer.allocUnsafe(1 << 20))
  bodies.giveBack(bodies.lend(3 << 20))
  t.same(bodies.state, { buffers: 0, bytes: 0 }, 'a 1 KB page, a buffer not lent here and one over 2 MiB')
  const a = bodies.lend(1 << 20)
  const b = bodies.lend(1 << 20)
  const c = bodies.lend(2 << 20)
  bodies.giveBack(a)
  bodies.giveBack(b)
  t.same(bodies.state, { buffers: 2, bytes: 2 << 20 })
  bodies.giveBack(c)
  t.same(bodies.state, { buffers: 2, bytes: 3 << 20 }, 'a larger buffer takes the place of the smallest, within the cap')
})
