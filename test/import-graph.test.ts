// The layout's rules, checked over the import graph of src/ and web/src/: no import cycle, only the app
// wires routes (no lower layer imports routes/), and the store depends on the shared model alone.
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g

function sources (dir: string): string[] {
  return readdirSync(path.join(ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts'))
    .map((e) => path.relative(ROOT, path.join(e.parentPath, e.name)))
}

/** Each file's relative imports, as repository paths of .ts files. */
export function importGraph (dirs: string[]): Map<string, string[]> {
  const graph = new Map<string, string[]>()
  for (const file of dirs.flatMap(sources)) {
    const text = readFileSync(path.join(ROOT, file), 'utf8')
    const targets: string[] = []
    for (const m of text.matchAll(IMPORT)) {
      const spec = m[1] ?? m[2] ?? ''
      if (!spec.startsWith('.')) continue
      targets.push(path.normalize(path.join(path.dirname(file), spec.replace(/\.js$/, '.ts'))))
    }
    graph.set(file, targets)
  }
  return graph
}

/** The cycles of a graph: each strongly connected component of more than one file, or a file importing itself. */
export function cycles (graph: Map<string, string[]>): string[][] {
  const index = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: string[] = []
  const onStack = new Set<string>()
  const found: string[][] = []
  let next = 0
  const visit = (v: string): void => {
    index.set(v, next); low.set(v, next); next++
    stack.push(v); onStack.add(v)
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue
      if (!index.has(w)) { visit(w); low.set(v, Math.min(low.get(v) as number, low.get(w) as number)) } else if (onStack.has(w)) low.set(v, Math.min(low.get(v) as number, index.get(w) as number))
    }
    if (low.get(v) !== index.get(v)) return
    const component: string[] = []
    let w: string
    do { w = stack.pop() as string; onStack.delete(w); component.push(w) } while (w !== v)
    if (component.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(component.sort())
  }
  for (const v of graph.keys()) if (!index.has(v)) visit(v)
  return found
}

t.test('the cycle finder finds a cycle and passes a tree', async (t) => {
  t.same(cycles(new Map([['a', ['b']], ['b', ['c']], ['c', ['a']], ['d', ['a']]])), [['a', 'b', 'c']])
  t.same(cycles(new Map([['a', ['b', 'c']], ['b', ['c']], ['c', []]])), [])
  t.same(cycles(new Map([['a', ['a']]])), [['a']])
})

t.test('no import cycle in src/ or web/src/', async (t) => {
  t.ok(importGraph(['src']).get('src/app.ts')?.some((x) => x.startsWith('src/routes/')), 'the graph holds the app\'s imports')
  t.ok(importGraph(['web/src']).get('web/src/main.ts')?.length, 'and the console\'s')
  t.same(cycles(importGraph(['src'])), [])
  t.same(cycles(importGraph(['web/src'])), [])
})

t.test('only the app and the routes themselves import routes/', async (t) => {
  const graph = importGraph(['src'])
  const offenders = [...graph].filter(([file, targets]) => !file.startsWith('src/routes/') && file !== 'src/app.ts' &&
    targets.some((x) => x.startsWith('src/routes/')))
  t.same(offenders.map(([file]) => file), [])
})

t.test('the store imports only itself and the shared model (model, labels, time)', async (t) => {
  const allowed = new Set(['src/model.ts', 'src/labels.ts', 'src/time.ts'])
  const graph = importGraph(['src'])
  const offenders = [...graph].filter(([file]) => file.startsWith('src/store/'))
    .flatMap(([file, targets]) => targets.filter((x) => !x.startsWith('src/store/') && !allowed.has(x)).map((x) => `${file} -> ${x}`))
  t.same(offenders, [])
})
