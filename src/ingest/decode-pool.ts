// Worker threads that decode ingest bodies and build their blocks, so a write's CPU (parsing, checking,
// encoding, filters; docs/performance.md) runs beside the event loop instead of on it. Workers start on
// demand up to `size`; a body waits in a queue of at most `queueLimit`, and past that, or while no worker
// has finished starting (a start takes from tens of milliseconds to seconds under tsx), the caller decodes
// on its own thread (decode returns undefined), so a burst neither grows memory nor fails, and no write
// waits for a thread to start. A worker that
// dies fails its request (a 500) and is replaced by the next request. Apps of one process share a pool
// (sharedDecodePool): a worker's start is paid once, not per app, and the last app's close ends it.
import { Worker } from 'node:worker_threads'
import { apiErrorFrom } from '../errors.js'
import type { BodyFormat, DecodeSettings } from './decoders.js'
import type { DecodedBlocks, DecodeReply, DecodeRequest } from './decode-protocol.js'

interface Job {
  request: DecodeRequest
  resolve: (decoded: DecodedBlocks) => void
  reject: (err: Error) => void
}

interface PoolWorker { thread: Worker, job: Job | undefined, ready: boolean, idleTimer?: NodeJS.Timeout }

/** A worker idle this long ends (its heap is memory the process keeps); the next body starts one again. */
const IDLE_THREAD_MS = 60_000

/** Under tsx (tests, `npm run dev`) the worker's TypeScript source is loaded through tsx, as this file was. */
function startThread (): Worker {
  const typescript = import.meta.url.endsWith('.ts')
  const entry = new URL(`./decode-worker.${typescript ? 'ts' : 'js'}`, import.meta.url)
  if (!typescript) return new Worker(entry)
  const tsx = import.meta.resolve('tsx/esm/api')
  return new Worker(`import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(entry.href)}) })`, { eval: true })
}

/** Buffers cloned from a worker arrive as Uint8Arrays; pg writes a bytea from a Buffer. */
const asBuffer = (bytes: Uint8Array): Buffer => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)

function received (decoded: DecodedBlocks): DecodedBlocks {
  for (const run of decoded.runs) {
    for (const b of run.blocks) {
      b.filter = asBuffer(b.filter)
      b.payload = asBuffer(b.payload)
    }
  }
  return decoded
}

export class DecodePool {
  private readonly workers = new Set<PoolWorker>()
  private readonly queue: Job[] = []
  private closed = false

  constructor (readonly size: number, readonly queueLimit = 2 * size, private readonly start: () => Worker = startThread, private readonly idleMs = IDLE_THREAD_MS) {}

  /** The body decoded and built in a worker, or undefined when the queue is full (decode it on this thread). */
  decode (format: BodyFormat, body: Buffer, settings: DecodeSettings): Promise<DecodedBlocks> | undefined {
    if (this.closed || this.size === 0) return undefined
    const idle = this.idleWorker()
    if (idle === undefined && (this.queue.length >= this.queueLimit || !this.anyReady())) return undefined
    // A copy of exactly the body's bytes, transferred: the body itself stays (it is hashed for the key).
    const request: DecodeRequest = { format, body: new Uint8Array(body), settings }
    return new Promise<DecodedBlocks>((resolve, reject) => {
      const job = { request, resolve, reject }
      if (idle === undefined) this.queue.push(job)
      else this.run(idle, job)
    })
  }

  /** A started worker that is idle, or undefined; one more starts while there are fewer than `size`. */
  private idleWorker (): PoolWorker | undefined {
    for (const w of this.workers) if (w.ready && w.job === undefined) return w
    if (this.workers.size < this.size) this.startWorker()
    return undefined
  }

  private anyReady (): boolean {
    for (const w of this.workers) if (w.ready) return true
    return false
  }

  /** Starts a worker; once it says it is ready it takes queued bodies, or idles. */
  private startWorker (): void {
    const worker: PoolWorker = { thread: this.start(), job: undefined, ready: false }
    worker.thread.unref()
    worker.thread.on('message', (reply: DecodeReply) => {
      if (reply.ready === true) {
        worker.ready = true
        this.next(worker)
      } else this.settle(worker, reply)
    })
    worker.thread.on('error', (err) => { this.fail(worker, err) })
    worker.thread.on('exit', (code) => { this.fail(worker, new Error(`an ingest worker thread exited (code ${code})`)) })
    this.workers.add(worker)
  }

  /** Starts the workers and resolves once `count` of them are ready (tests, and a service that wants them warm). */
  async warm (count = this.size, timeoutMs = 30_000): Promise<void> {
    const wanted = Math.min(count, this.size)
    const until = Date.now() + timeoutMs
    while (!this.closed && [...this.workers].filter((w) => w.ready).length < wanted && Date.now() < until) {
      while (this.workers.size < wanted) this.startWorker()
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
  }

  private run (worker: PoolWorker, job: Job): void {
    clearTimeout(worker.idleTimer)
    worker.job = job
    worker.thread.ref()
    worker.thread.postMessage(job.request, [job.request.body.buffer])
  }

  private settle (worker: PoolWorker, reply: DecodeReply): void {
    const job = worker.job
    this.next(worker)
    if (job === undefined) return
    if (reply.decoded !== undefined) job.resolve(received(reply.decoded))
    else if (reply.apiError !== undefined) job.reject(apiErrorFrom(reply.apiError))
    else job.reject(Object.assign(new Error(`ingest worker: ${reply.failure?.message ?? 'no reply'}`), { workerStack: reply.failure?.stack }))
  }

  /** The worker takes the next queued body, or idles without keeping the process alive. */
  private next (worker: PoolWorker): void {
    worker.job = undefined
    const job = this.queue.shift()
    if (job !== undefined) {
      this.run(worker, job)
      return
    }
    worker.thread.unref()
    worker.idleTimer = setTimeout(() => {
      this.workers.delete(worker)
      worker.thread.terminate().catch(() => {}) // it has stopped, or is stopping
    }, this.idleMs).unref()
  }

  /** A worker that failed or exited: its body fails, and queued bodies go to a new worker. */
  private fail (worker: PoolWorker, err: Error): void {
    if (!this.workers.delete(worker)) return
    clearTimeout(worker.idleTimer)
    worker.thread.terminate().catch(() => {}) // it has stopped, or is stopping
    worker.job?.reject(err)
    worker.job = undefined
    const job = this.queue.shift()
    if (job === undefined) return
    const replacement = this.closed ? undefined : this.idleWorker()
    if (replacement !== undefined) this.run(replacement, job)
    else if (!this.closed && this.workers.size > 0) this.queue.unshift(job) // a worker still starting takes it
    else job.reject(err)
  }

  /** Workers running (for tests). */
  get threads (): number { return this.workers.size }

  /** Ends every worker; bodies still queued or decoding fail. */
  async close (): Promise<void> {
    this.closed = true
    const stopped = new Error('the service is shutting down')
    for (const job of this.queue.splice(0)) job.reject(stopped)
    const workers = [...this.workers]
    for (const w of workers) clearTimeout(w.idleTimer)
    await Promise.all(workers.map(async (w) => { await w.thread.terminate() }))
    // 'exit' comes after terminate resolves; the bodies the workers held fail now.
    for (const w of workers) this.fail(w, stopped)
  }
}

/** An idle pool ends this long after its last app closed, unless another app takes it first (tests build many apps). */
const IDLE_CLOSE_MS = 2000
const shared = new Map<number, { pool: DecodePool, users: number, timer?: NodeJS.Timeout }>()

/** The process's pool of `size` workers for one more app; `release` when the app closes. */
export function sharedDecodePool (size: number): { pool: DecodePool, release: () => void } {
  let entry = shared.get(size)
  if (entry === undefined) {
    entry = { pool: new DecodePool(size), users: 0 }
    shared.set(size, entry)
  }
  clearTimeout(entry.timer)
  entry.users++
  const taken = entry
  let released = false
  return {
    pool: taken.pool,
    release: () => {
      if (released || --taken.users > 0) return
      released = true
      taken.timer = setTimeout(() => {
        shared.delete(size)
        taken.pool.close().catch(() => {}) // terminate does not fail
      }, IDLE_CLOSE_MS).unref()
    }
  }
}
