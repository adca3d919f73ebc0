// `npm run bench -- <name> [options]`: runs one benchmark and prints its table; `npm run bench` alone runs scale.
const BENCHMARKS: Record<string, string> = {
  scale: './scale.js',
  read: './read.js',
  export: './export.js',
  ingest: './ingest.js',
  'ingest-stages': './ingest-stages.js',
  tail: './tail.js',
  stream: './stream.js',
  soak: './soak.js',
  'block-sizes': './block-sizes.js',
  'block-layouts': './block-layouts.js',
  merge: './merge.js',
  'block-disk': './block-disk.js',
  'scale-blocks': './scale-blocks.js'
}
// Options straight after `npm run bench --` belong to scale: `npm run bench -- --lines 10000000`.
if (process.argv[2] === undefined || process.argv[2].startsWith('--')) process.argv.splice(2, 0, 'scale')
const name = process.argv[2] as string
const module = BENCHMARKS[name]
if (module === undefined) {
  console.error(`unknown benchmark ${name}; choose one of: ${Object.keys(BENCHMARKS).join(', ')}`)
  process.exit(2)
}
await import(module)
