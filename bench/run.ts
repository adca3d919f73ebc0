// `npm run bench -- <name> [options]`: runs one benchmark and prints its table.
const BENCHMARKS: Record<string, string> = {
  read: './read.js',
  export: './export.js',
  ingest: './ingest.js',
  tail: './tail.js',
  stream: './stream.js',
  plans: './plans.js',
  soak: './soak.js'
}
const name = process.argv[2] ?? 'read'
const module = BENCHMARKS[name]
if (module === undefined) {
  console.error(`unknown benchmark ${name}; choose one of: ${Object.keys(BENCHMARKS).join(', ')}`)
  process.exit(2)
}
await import(module)
