// Builds what the runtimes need:
//  - dist/grantcheck.mjs (and dist/chunks/): the Node CLI, ESM that starts without a TypeScript
//    loader; the parts a command may not need are chunks it imports on demand;
//  - src/generated/builtin-suites.json: the built-in suites as JSON, for the Worker and Deno,
//    which carry no YAML parser and read no files;
//  - dist/worker.mjs: the Worker bundle (what the Miniflare tests run; wrangler bundles the same
//    entry itself for dev and deploy).
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { build } from 'esbuild'
import { parse } from 'yaml'

// suites/_groups.yaml holds the expectation groups every suite may use.
const suites = readdirSync('suites')
  .filter((f) => f.endsWith('.yaml') && !f.startsWith('_'))
  .sort()
  .map((f) => ({ file: `suites/${f}`, data: parse(readFileSync(`suites/${f}`, 'utf8')) }))
const groups = { file: 'suites/_groups.yaml', data: parse(readFileSync('suites/_groups.yaml', 'utf8')) }
mkdirSync('src/generated', { recursive: true })
writeFileSync('src/generated/builtin-suites.json', `${JSON.stringify({ groups, suites })}\n`)

/** Node bundles: dependencies stay in node_modules. */
const forNode = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  jsx: 'automatic',
  jsxImportSource: 'hono/jsx',
  logLevel: 'warning',
}

// Split into chunks (the old ones removed: their names carry content hashes) so that what main.ts imports dynamically (reporters, init, demo) is read only
// by the commands that use it.
rmSync('dist/chunks', { recursive: true, force: true })
await build({
  ...forNode,
  entryPoints: { grantcheck: 'src/cli/main.ts' },
  outdir: 'dist',
  outExtension: { '.js': '.mjs' },
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  sourcemap: 'linked',
})

await build({
  entryPoints: ['src/worker/index.ts'],
  outfile: 'dist/worker.mjs',
  bundle: true,
  platform: 'neutral',
  format: 'esm',
  target: 'es2022',
  mainFields: ['module', 'main'],
  conditions: ['workerd', 'worker', 'browser'],
  jsx: 'automatic',
  jsxImportSource: 'hono/jsx',
  minify: true,
  logLevel: 'warning',
})

// The benchmark (npm run bench).
await build({ ...forNode, entryPoints: ['bench/run.ts'], outfile: 'dist/bench.mjs' })
await build({ ...forNode, entryPoints: ['bench/servers.ts'], outfile: 'dist/bench-servers.mjs' })
