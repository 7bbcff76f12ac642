// Builds what the runtimes need:
//  - dist/grantcheck.mjs (and dist/chunks/): the Node CLI, ESM that starts without a TypeScript
//    loader; the parts a command may not need are chunks it imports on demand;
//  - dist/api.mjs and dist/types/api.d.ts: the programmatic API (the package's exports entry),
//    sharing the CLI's chunks, and its declarations;
//  - src/generated/builtin.json: the built-in data (tool version, suites with their groups,
//    provider profiles, requirement catalogue) as JSON, read through src/core/builtin.ts by every
//    runtime: the Worker carries no YAML parser and reads no files;
//  - dist/worker.mjs: the Worker bundle (what the Miniflare tests run; wrangler bundles the same
//    entry itself for dev and deploy);
//  - dist/bench*.mjs: the benchmark, its servers, and the engine alone as a Worker for workerd;
//  - dist/selftest.mjs: the self-test (test/selftest.ts).
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { execFileSync } from 'node:child_process'
import { build } from 'esbuild'
import { parse } from 'yaml'

/** Every YAML file of a folder, parsed, in a stable order; "_" files are not suites. */
const yamlFiles = (dir) =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.yaml') && !f.startsWith('_'))
    .sort()
    .map((f) => ({ file: `${dir}/${f}`, data: parse(readFileSync(`${dir}/${f}`, 'utf8')) }))
// Parsed only: src/core/builtin.ts validates (this script runs without a TypeScript loader).
// suites/_groups.yaml holds the expectation groups every suite may use.
const builtin = {
  version: JSON.parse(readFileSync('package.json', 'utf8')).version,
  groups: { file: 'suites/_groups.yaml', data: parse(readFileSync('suites/_groups.yaml', 'utf8')) },
  suites: yamlFiles('suites'),
  profiles: yamlFiles('profiles'),
  catalogue: yamlFiles('requirements'),
}
mkdirSync('src/generated', { recursive: true })
writeFileSync('src/generated/builtin.json', `${JSON.stringify(builtin)}\n`)
// What builtin.json replaced: a stale copy must not be imported by mistake.
rmSync('src/generated/builtin-suites.json', { force: true })

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
  entryPoints: { grantcheck: 'src/cli/main.ts', api: 'src/api.ts' },
  outdir: 'dist',
  outExtension: { '.js': '.mjs' },
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  sourcemap: 'linked',
})

// The API's declarations, from tsc: dist/types/api.d.ts and the declarations it reaches.
rmSync('dist/types', { recursive: true, force: true })
execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.types.json'], { stdio: 'inherit' })

/** workerd bundles: everything inlined, resolved as Cloudflare's bundler resolves it. */
const forWorkerd = {
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
}

await build({ ...forWorkerd, entryPoints: ['src/worker/index.ts'], outfile: 'dist/worker.mjs' })

// The benchmark (npm run bench).
await build({ ...forNode, entryPoints: ['bench/run.ts'], outfile: 'dist/bench.mjs' })
await build({ ...forNode, entryPoints: ['bench/servers.ts'], outfile: 'dist/bench-servers.mjs' })
// The generative self-test of the reference server's lawful variations (npm run selftest).
await build({ ...forNode, entryPoints: ['test/selftest.ts'], outfile: 'dist/selftest.mjs' })
// The engine alone in workerd, built as the Worker is, for the bench's CPU figure.
await build({ ...forWorkerd, entryPoints: ['bench/workerd-harness.ts'], outfile: 'dist/bench-workerd-harness.mjs' })
