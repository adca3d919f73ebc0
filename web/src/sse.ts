// Server-Sent Events over fetch: EventSource cannot send an Authorization header, and a token in the URL
// would end up in logs. Parses the stream into events; reconnects with Last-Event-ID when it ends.
import { call } from './api.js'

export interface SseEvent { id?: string, data: string }

export interface FollowHandle { stop: () => void, done: Promise<void> }

/** Reads one response's events until it ends; returns the last event id seen. */
async function readEvents (body: ReadableStream<Uint8Array>, onEvent: (e: SseEvent) => void, lastId: string | undefined): Promise<string | undefined> {
  const reader = body.pipeThrough(new TextDecoderStream() as unknown as ReadableWritablePair<string, Uint8Array>).getReader()
  let buffer = ''
  let data: string[] = []
  let id: string | undefined
  for (;;) {
    const { value, done } = await reader.read()
    if (done) return lastId
    buffer += value
    let newline: number
    while ((newline = buffer.search(/\r\n|\r|\n/)) !== -1) {
      const line = buffer.slice(0, newline)
      buffer = buffer.slice(newline + (buffer.startsWith('\r\n', newline) ? 2 : 1))
      if (line === '') {
        if (data.length > 0) {
          if (id !== undefined) lastId = id
          onEvent({ ...(id === undefined ? {} : { id }), data: data.join('\n') })
        }
        data = []
        id = undefined
        continue
      }
      if (line.startsWith(':')) continue // a comment: the heartbeat
      const colon = line.indexOf(':')
      const name = colon === -1 ? line : line.slice(0, colon)
      const text = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '')
      if (name === 'data') data.push(text)
      else if (name === 'id') id = text
    }
  }
}

/** Follows `url` (a read with follow=true) until stopped; each event's data goes to onEvent. */
export function followEvents (url: string, onEvent: (e: SseEvent) => void, onError: (err: unknown) => void): FollowHandle {
  const controller = new AbortController()
  const done = (async () => {
    let lastId: string | undefined
    while (!controller.signal.aborted) {
      try {
        const headers: Record<string, string> = { accept: 'text/event-stream' }
        if (lastId !== undefined) headers['last-event-id'] = lastId
        const res = await call(url, { headers, signal: controller.signal })
        if (res.body === null) return
        lastId = await readEvents(res.body, onEvent, lastId)
      } catch (err) {
        if (controller.signal.aborted) return
        onError(err)
        return
      }
      // The service ends a tail after FOLLOW_MAX_SECONDS: pick it up where it stopped.
      await new Promise((resolve) => setTimeout(resolve, 1000))
    }
  })()
  return { stop: () => { controller.abort() }, done }
}
