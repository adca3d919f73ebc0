// Realistic log messages for the benchmarks: templated lines of the kinds a model-serving and training
// platform ships, with the repetition real logs have (a few templates, a few models, hosts and paths per
// run, counters that climb) and the entropy they have too (latencies, sizes, request ids, losses).
// Random slices of a word list, used before, compress far worse than logs do (48 bytes a line with zstd -3,
// labels included); on the scale data set these lines take about 31 (16 for the messages alone, the rest
// the labels and timestamps of 10,000 runs spread over 8 days).
//
// A line is one of:
//   - an application line (Python/Java logging: time, level, thread or logger, text with numbers),
//   - an HTTP access line (uvicorn, nginx-style, or Envoy's istio-proxy format),
//   - a training-progress line (epoch/step/loss/throughput, checkpoints, validation),
//   - a JSON line (a quarter of all lines: structured request, batcher and queue-proxy logs).
// Container and stream follow the kind of line, as they do in a pod. Messages average about 134 bytes.
// No template writes a tab, newline or backslash (the scale loader's COPY text needs no escaping).

/** In one line of 2,000 of every run, and in no other. */
export const RARE_WORD = 'quokka'

export interface Message { msg: string, container: string, stream: 'stdout' | 'stderr' }

const MODELS = ['resnet50', 'bert-base-uncased', 'llama-3-8b-instruct', 'xgboost-fraud', 'yolov8n', 'whisper-small', 'sentence-t5', 'gpt2-medium']
const USER_AGENTS = ['python-requests/2.31.0', 'Go-http-client/1.1', 'kube-probe/1.29', 'okhttp/4.12.0', 'curl/8.5.0']
const PATHS = ['/v2/models/{m}/infer', '/v2/models/{m}/infer', '/v2/models/{m}/infer', '/v1/models/{m}:predict', '/v2/models/{m}/ready', '/v2/health/live', '/metrics']
const METHODS: Record<string, string> = { infer: 'POST', predict: 'POST', ready: 'GET', live: 'GET', metrics: 'GET' }
const ERRORS = [
  'RuntimeError: CUDA out of memory. Tried to allocate 2.00 GiB (GPU 0; 15.78 GiB total capacity; 13.12 GiB already allocated)',
  'ConnectionResetError: [Errno 104] Connection reset by peer while reading response from upstream',
  'ValueError: Input tensor shape [1, 3, 224, 225] does not match expected [1, 3, 224, 224]',
  'TimeoutError: request exceeded deadline of 30000 ms waiting for a free model worker'
]
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']

const pad = (n: number, w = 2): string => String(n).padStart(w, '0')
const hex = (random: () => number, digits: number): string => {
  let s = ''
  while (s.length < digits) s += Math.floor(random() * 0x100000000).toString(16).padStart(8, '0')
  return s.slice(0, digits)
}
const pick = <T>(random: () => number, items: readonly T[]): T => items[Math.floor(random() * items.length)] as T

/** Pods of a run: KServe predictor pods for a deployment, Argo step pods for an execution. */
export function podsOf (kind: 'deployment' | 'execution', id: string, count: number, random: () => number): string[] {
  const hash = hex(random, 10)
  return Array.from({ length: count }, (_, p) => kind === 'deployment'
    ? `${id}-predictor-00001-deployment-${hash}-${hex(random, 5)}`
    : `${id}-train-step-${p}-${String(1e9 + Math.floor(random() * 9e9))}`)
}

/** The containers a run's pods have, in the order the voice uses them. */
export const containersOf = (kind: 'deployment' | 'execution'): string[] =>
  kind === 'deployment' ? ['kserve-container', 'queue-proxy', 'istio-proxy'] : ['main', 'wait']

/**
 * A run's voice: its model, clients and counters, so its lines repeat what a real run's repeat. `line(i)`
 * is the run's i-th line at the given time (epoch microseconds); the same seed gives the same lines.
 */
export class RunVoice {
  private readonly model: string
  private readonly clients: string[]
  private readonly epochs: number
  private readonly stepsPerEpoch: number
  private readonly baseLatency: number
  private readonly cacheKeys: string[]
  private readonly ports: number[]
  /** Response sizes: a model's answers are much the same size. */
  private readonly sizes: number[]

  constructor (readonly kind: 'deployment' | 'execution', private readonly lines: number, private readonly random: () => number) {
    this.model = pick(random, MODELS)
    this.clients = Array.from({ length: 3 + Math.floor(random() * 6) }, () => `10.42.${Math.floor(random() * 32)}.${1 + Math.floor(random() * 250)}`)
    this.epochs = 10 + Math.floor(random() * 90)
    this.stepsPerEpoch = 500 + Math.floor(random() * 4500)
    this.baseLatency = 5 + random() * 60
    this.cacheKeys = Array.from({ length: 16 }, () => hex(random, 8))
    this.sizes = Array.from({ length: 6 }, () => 200 + Math.floor(random() * 3000))
    this.ports = this.clients.map(() => 30000 + Math.floor(random() * 30000))
  }

  line (i: number, micros: number): Message {
    const r = this.random()
    const m = this.kind === 'deployment'
      // Serving: access lines and structured request logs most of all, the model server's own lines.
      ? r < 0.25 ? this.json(i, micros) : r < 0.55 ? this.access(i, micros) : r < 0.9 ? this.app(i, micros) : this.failure(i, micros)
      // Training: progress lines most of all, then the trainer's own lines and the Argo sidecar's JSON.
      : r < 0.25 ? this.json(i, micros) : r < 0.6 ? this.training(i, micros) : r < 0.9 ? this.app(i, micros) : this.failure(i, micros)
    // One line in 2,000 carries a word found nowhere else: the search benchmark's needle.
    if (i % 2000 === 1999) m.msg = m.msg.endsWith('}') ? `${m.msg.slice(0, -1)},"note":"${RARE_WORD}"}` : `${m.msg} ${RARE_WORD}`
    return m
  }

  /** A client's keep-alive connection: a few source ports each, reused across requests. */
  private portOf (client: string): number {
    return (this.ports[this.clients.indexOf(client)] as number) + Math.floor(this.random() * 4)
  }

  /** A path's answers are much the same size; a client always sends the same user agent. */
  private sizeOf (path: string): number {
    return this.sizes[path.length % this.sizes.length] as number
  }

  private agentOf (client: string): string {
    return USER_AGENTS[this.clients.indexOf(client) % USER_AGENTS.length] as string
  }

  private latency (): number {
    const u = this.random()
    return this.baseLatency * (0.5 + u * u * 4)
  }

  /** `2026-10-01 12:00:00` (an application's logging, to the second) or, with `ms`, `2026-10-01T12:00:00.123`. */
  private timeText (micros: number, ms = false): string {
    const d = new Date(Math.floor(micros / 1000))
    const date = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`
    const time = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`
    return ms ? `${date}T${time}.${pad(d.getUTCMilliseconds(), 3)}` : `${date} ${time}`
  }

  private path (): { method: string, path: string } {
    const path = pick(this.random, PATHS).replace('{m}', this.model)
    const last = path.slice(path.lastIndexOf('/') + 1).replace(/^.*:/, '')
    return { method: METHODS[last] ?? 'GET', path }
  }

  private status (): number {
    const u = this.random()
    return u < 0.97 ? 200 : u < 0.985 ? 404 : u < 0.995 ? 429 : 503
  }

  private json (i: number, micros: number): Message {
    const r = this.random()
    const ts = this.timeText(micros, true)
    if (this.kind === 'execution') {
      const msg = r < 0.5
        ? `{"time":"${ts}Z","level":"info","msg":"Main container running","workflow":"train-${this.model}","pod":"step-${i % 4}","argo":true}`
        : `{"time":"${ts}Z","level":"info","msg":"saving artifact","workflow":"train-${this.model}","artifact":"model-${Math.floor(i / 5000)}","bucket":"s3://ml-artifacts/checkpoints","bytes":${Math.floor(this.random() * 5e8)}}`
      return { msg, container: 'wait', stream: 'stdout' }
    }
    if (r < 0.55) {
      const { method, path } = this.path()
      const msg = `{"level":"info","ts":"${ts}Z","logger":"inference","service":"${this.model}-predictor","msg":"request completed","method":"${method}","path":"${path}","status":${this.status()},"duration_ms":${Math.round(this.latency())}}`
      return { msg, container: 'kserve-container', stream: 'stdout' }
    }
    if (r < 0.8) {
      const msg = `{"severity":"INFO","timestamp":"${ts}Z","logger":"queueproxy","caller":"logging/config.go:81","message":"Successfully proxied request","knative.dev/key":"default/${this.model}","status":200}`
      return { msg, container: 'queue-proxy', stream: 'stdout' }
    }
    const msg = `{"level":"debug","ts":"${ts}Z","caller":"batcher/batcher.go:112","msg":"flushing batch","service":"${this.model}-predictor","model":"${this.model}","size":${1 + Math.floor(this.random() * 32)},"wait_ms":${Math.floor(this.random() * 10)}}`
    return { msg, container: 'kserve-container', stream: 'stdout' }
  }

  private access (_i: number, micros: number): Message {
    const r = this.random()
    const client = pick(this.random, this.clients)
    const { method, path } = this.path()
    const status = this.status()
    const ms = this.latency()
    if (r < 0.45) {
      const msg = `INFO:     ${client}:${this.portOf(client)} - "${method} ${path} HTTP/1.1" ${status} ${status === 200 ? 'OK' : status === 404 ? 'Not Found' : status === 429 ? 'Too Many Requests' : 'Service Unavailable'}`
      return { msg, container: 'kserve-container', stream: 'stdout' }
    }
    if (r < 0.75) {
      const d = new Date(Math.floor(micros / 1000))
      const msg = `${client} - - [${pad(d.getUTCDate())}/${MONTHS[d.getUTCMonth()] as string}/${d.getUTCFullYear()}:${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000] "${method} ${path} HTTP/1.1" ${status} ${this.sizeOf(path)} "-" "${this.agentOf(client)}" ${(ms / 1000).toFixed(3)}`
      return { msg, container: 'kserve-container', stream: 'stdout' }
    }
    const msg = `[${this.timeText(micros, true)}Z] "${method} ${path} HTTP/1.1" ${status} - via_upstream - "-" ${this.sizeOf(path) >> 2} ${this.sizeOf(path)} ${Math.round(ms)} "-" "${this.agentOf(client)}" "${client}:8080"`
    return { msg, container: 'istio-proxy', stream: 'stdout' }
  }

  private app (i: number, micros: number): Message {
    const r = this.random()
    const ts = this.timeText(micros)
    const container = this.kind === 'deployment' ? 'kserve-container' : 'main'
    if (r < 0.3) return { msg: `${ts} INFO [app.batching] Processed batch of ${pick(this.random, [1, 2, 4, 8, 16, 32])} requests for ${this.model} in ${Math.round(this.latency())} ms (queue depth ${Math.floor(this.random() * this.random() * 4)})`, container, stream: 'stdout' }
    if (r < 0.5) return { msg: `${ts} DEBUG [inference.handler] Cache ${this.random() < 0.8 ? 'hit' : 'miss'} for key ${this.model}:${pick(this.random, this.cacheKeys)} (entries=${1000 + Math.floor(i / 50)}, evictions=${Math.floor(i / 997)})`, container, stream: 'stdout' }
    if (r < 0.65) return { msg: `${ts} INFO [app.metrics] GPU ${i % 2} utilization ${10 * Math.floor(4 + this.random() * 6)}%, memory ${(8 + Math.floor(i / 500) % 7)}.${i % 2}/16.0 GiB, temperature ${60 + Math.floor(i / 300) % 20}C`, container, stream: 'stdout' }
    if (r < 0.8) return { msg: `${ts} INFO [kserve.model_server] Worker ${i % 8} heartbeat ok, uptime ${Math.floor(i / 10)} s, handled ${i} requests since start, 0 failed health checks`, container, stream: 'stdout' }
    if (r < 0.9) return { msg: `${ts} WARNING [inference.handler] Slow request ${hex(this.random, 8)}: ${Math.floor(500 + this.random() * 2500)} ms exceeds the 500 ms threshold for ${this.model}`, container, stream: 'stderr' }
    return { msg: `${ts} INFO [model.loader] Loaded ${this.model} version ${1 + (i % 3)} from /mnt/models in ${Math.floor(800 + this.random() * 4000)} ms (device cuda:0, dtype float16)`, container, stream: 'stdout' }
  }

  private training (i: number, micros: number): Message {
    const r = this.random()
    const step = Math.floor(i * this.epochs * this.stepsPerEpoch / Math.max(1, this.lines))
    const epoch = 1 + Math.floor(step / this.stepsPerEpoch)
    const progress = i / Math.max(1, this.lines)
    const loss = (0.08 + 2.2 * Math.exp(-4 * progress)) * (0.9 + this.random() * 0.2)
    if (r < 0.55) {
      return { msg: `Epoch ${epoch}/${this.epochs} | step ${step % this.stepsPerEpoch}/${this.stepsPerEpoch} | loss ${loss.toFixed(4)} | lr ${(3e-4 * (1 - progress)).toExponential(2)} | ${(900 + this.random() * 400).toFixed(1)} samples/s`, container: 'main', stream: 'stdout' }
    }
    if (r < 0.85) {
      return { msg: `[rank${i % 4}] step=${step} loss=${loss.toFixed(4)} grad_norm=${(0.5 + this.random() * 2).toFixed(3)} tokens/s=${Math.floor(40000 + this.random() * 10000)} mem=${(12 + this.random() * 3).toFixed(1)}GiB`, container: 'main', stream: 'stdout' }
    }
    if (r < 0.95) {
      return { msg: `${this.timeText(micros)} INFO [trainer] Validation after epoch ${epoch}: val_loss=${(loss * 1.1).toFixed(4)} val_acc=${(1 - loss / 3).toFixed(4)} best_val_acc=${(1 - loss / 3.2).toFixed(4)}`, container: 'main', stream: 'stdout' }
    }
    return { msg: `${this.timeText(micros)} INFO [trainer] Saving checkpoint to /mnt/checkpoints/${this.model}/epoch-${epoch}/step-${step}.pt (${(1 + this.random() * 3).toFixed(2)} GB)`, container: 'main', stream: 'stdout' }
  }

  private failure (i: number, micros: number): Message {
    const r = this.random()
    const ts = this.timeText(micros)
    const container = this.kind === 'deployment' ? 'kserve-container' : 'main'
    if (r < 0.3) return { msg: `${ts} ERROR [inference.handler] Upstream 10.96.${i % 8}.17:9000 returned 503, retrying in ${100 * (1 + (i % 5))} ms (attempt ${1 + (i % 5)}/5)`, container, stream: 'stderr' }
    if (r < 0.5) return { msg: 'Traceback (most recent call last):', container, stream: 'stderr' }
    if (r < 0.8) return { msg: `  File "/opt/app/${this.kind === 'deployment' ? 'server/handlers' : 'train/loop'}.py", line ${100 + (i % 7) * 37}, in ${this.kind === 'deployment' ? 'predict' : 'train_step'}`, container, stream: 'stderr' }
    return { msg: pick(this.random, ERRORS), container, stream: 'stderr' }
  }
}
