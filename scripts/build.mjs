// Builds what the runtimes need:
//  - dist/grantcheck.mjs: the Node CLI, one ESM file that starts without a TypeScript loader;
//  - src/generated/builtin-suites.json: the built-in suites as JSON, for the Worker and Deno,
//    which carry no YAML parser and read no files;
//  - dist/worker.mjs: the Worker bundle (what the Miniflare tests run; wrangler bundles the same
//    entry itself for dev and deploy).
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { build } from 'esbuild'
import { parse } from 'yaml'

const suites = readdirSync('suites')
  .filter((f) => f.endsWith('.yaml'))
  .sort()
  .map((f) => ({ file: `suites/${f}`, data: parse(readFileSync(`suites/${f}`, 'utf8')) }))
mkdirSync('src/generated', { recursive: true })
writeFileSync('src/generated/builtin-suites.json', `${JSON.stringify(suites)}\n`)

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

await build({ ...forNode, entryPoints: ['src/cli/main.ts'], outfile: 'dist/grantcheck.mjs', sourcemap: 'linked' })

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
