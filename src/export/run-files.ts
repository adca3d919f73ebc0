// One run's log files while its lines stream in: a temp file per pod and container, continued in numbered
// parts past the size limit, each hashed and counted on the way (tar needs sizes before contents).
import { createHash, type Hash } from 'node:crypto'
import { open, type FileHandle } from 'node:fs/promises'
import path from 'node:path'
import type { StoredLine } from '../store/stored-line.js'
import { formatStored } from '../time.js'
import { UniqueNames } from './file-names.js'

export interface LogFilePart {
  /** File name inside the run's folder. */
  name: string
  pod: string
  container: string
  part: number
  parts: number
  lines: number
  bytes: number
  sha256: string
  firstLineAt: string
  lastLineAt: string
  tempPath: string
}

interface OpenPart {
  tempPath: string
  handle: FileHandle
  hash: Hash
  lines: number
  bytes: number
  pending: string[]
  firstLineAt: string
  lastLineAt: string
}

interface OpenFile { pod: string, container: string, baseName: string, parts: Array<OpenPart | LogFilePart> }

// A message's own line breaks would split it into several file lines: they are written as \n and \r, and
// a backslash as \\, so every stored line is one file line and the original text can be recovered.
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r' }
export const escapeMsg = (msg: string): string => msg.replace(/[\\\n\r]/g, (c) => ESCAPES[c] ?? c)

/** `<timestamp> <stream> <msg>`, the timestamp exactly as GET .../logs renders it. */
const fileLine = (ts: string, nanos: number, stream: string, msg: string): string =>
  `${formatStored(ts, nanos)} ${stream} ${escapeMsg(msg)}\n`

const safeName = (value: string, fallback: string): string =>
  value === '' ? fallback : value.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_').slice(0, 80)

export class RunFiles {
  private readonly files = new Map<string, OpenFile>()
  private readonly names = new UniqueNames()
  private tempCount = 0

  constructor (private readonly workDir: string, private readonly maxFileBytes: number) {}

  async add (lines: StoredLine[]): Promise<void> {
    for (const { ts, nanos, container, pod, stream, msg } of lines) {
      const file = this.fileOf(pod, container)
      const line = fileLine(ts, nanos, stream, msg)
      const size = Buffer.byteLength(line)
      let part = file.parts[file.parts.length - 1] as OpenPart | undefined
      // A line is never cut: a part ends before the line that would take it past the limit.
      if (part === undefined || (part.lines > 0 && part.bytes + size > this.maxFileBytes)) {
        if (part !== undefined) file.parts[file.parts.length - 1] = await this.close(part, file)
        part = await this.openPart()
        file.parts.push(part)
      }
      const at = line.slice(0, line.indexOf(' '))
      if (part.lines === 0) part.firstLineAt = at
      part.lastLineAt = at
      part.pending.push(line)
      part.hash.update(line)
      part.lines++
      part.bytes += size
    }
    for (const file of this.files.values()) {
      const last = file.parts[file.parts.length - 1]
      if (last !== undefined && 'handle' in last) await flush(last)
    }
  }

  /** Closes every file; parts are named once their number is known. */
  async finish (): Promise<LogFilePart[]> {
    const result: LogFilePart[] = []
    for (const file of this.files.values()) {
      const parts: LogFilePart[] = []
      for (const p of file.parts) parts.push('handle' in p ? await this.close(p, file) : p)
      parts.forEach((p, i) => {
        p.part = i + 1
        p.parts = parts.length
        p.name = parts.length === 1 ? `${file.baseName}.log` : `${file.baseName}.part-${String(i + 1).padStart(4, '0')}.log`
        result.push(p)
      })
    }
    return result
  }

  private fileOf (pod: string, container: string): OpenFile {
    const key = `${pod}\u0000${container}`
    let file = this.files.get(key)
    if (file === undefined) {
      // Different pods or containers can map to one safe name (or differ in case only): later ones get ~2, ~3, ...
      const baseName = this.names.take(`${safeName(pod, 'no-pod')}_${safeName(container, 'no-container')}`)
      file = { pod, container, baseName, parts: [] }
      this.files.set(key, file)
    }
    return file
  }

  private async openPart (): Promise<OpenPart> {
    const tempPath = path.join(this.workDir, `file-${++this.tempCount}`)
    return { tempPath, handle: await open(tempPath, 'w'), hash: createHash('sha256'), lines: 0, bytes: 0, pending: [], firstLineAt: '', lastLineAt: '' }
  }

  private async close (part: OpenPart, file: OpenFile): Promise<LogFilePart> {
    await flush(part)
    await part.handle.close()
    return {
      name: '',
      pod: file.pod,
      container: file.container,
      part: 0,
      parts: 0,
      lines: part.lines,
      bytes: part.bytes,
      sha256: part.hash.digest('hex'),
      firstLineAt: part.firstLineAt,
      lastLineAt: part.lastLineAt,
      tempPath: part.tempPath
    }
  }
}

async function flush (part: OpenPart): Promise<void> {
  if (part.pending.length === 0) return
  const text = part.pending.join('')
  part.pending = []
  await part.handle.write(text)
}
