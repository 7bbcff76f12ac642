// ESLint: typescript-eslint's recommended rules, and the design's dependency rules as import
// restrictions per folder (test/architecture.test.ts checks the same on the source, including
// dynamic imports, which no-restricted-imports does not see). Formatting is Prettier's.
// Not the type-checked rule sets: on two cores they take 25 s instead of 6, and tsc (npm run
// typecheck) already holds the types.
import { builtinModules } from 'node:module'
import js from '@eslint/js'
import { defineConfig } from 'eslint/config'
import tseslint from 'typescript-eslint'

/** Every top-level folder and file of src/, by the name a relative import goes through. */
const SRC_FOLDERS = ['api', 'cli', 'core', 'checks', 'deno', 'generated', 'node', 'reference-server', 'reporters', 'schema', 'worker']

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
/** A relative import whose path goes through the src folder (or src file) `name`, from anywhere. */
const into = (...names) => `^\\.{1,2}/(?:\\.\\./)*(?:src/)?(?:${names.map(escape).join('|')})(?:/|\\.tsx?$)`

const NODE_MODULES = builtinModules.filter((m) => !m.startsWith('_')).map(escape)
const nodeBuiltins = {
  regex: `^(?:node:|(?:${NODE_MODULES.join('|')})(?:/|$))`,
  message: 'web-only folder: no Node built-ins (the Worker runs without nodejs_compat); take a web API or put it in src/node',
}
const nodeServer = { regex: '^@hono/node-server(?:/|$)', message: 'web-only folder: the Node server adapter belongs in src/node' }
const intoCli = { regex: into('cli'), message: 'src/cli is an adapter: nothing but its own files (and tests) imports it' }
const intoWorker = { regex: into('worker'), message: 'src/worker is an adapter: nothing but its own files (and tests) imports it' }

/** Any package but those named. */
const packagesBut = (...names) => ({ regex: `^(?!\\.|(?:${names.map(escape).join('|')})$)`, message: `this folder uses no package but ${names.join(', ')}` })

/** `no-restricted-imports` for a group of files, from the patterns that apply to it (one rule entry per file: ESLint does not merge rule options). */
const restrict = (files, patterns, { allowTypeImports = false } = {}) => ({
  files,
  rules: {
    '@typescript-eslint/no-restricted-imports': ['error', { patterns: patterns.map((p) => ({ ...p, allowTypeImports })) }],
  },
})

const folder = (name) => [`src/${name}/**/*.{ts,tsx}`]
const tests = ['**/*.test.ts', '**/*.test.tsx']

export default defineConfig(
  { ignores: ['dist/', 'reports/', 'src/generated/', '.wrangler/', 'node_modules/'] },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // `_`-prefixed names are the house style for what is taken apart to be left out (`{ tls: _tls, ...rest }`).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // Matching control characters is the point where this code uses them: scrubbing terminal
      // escapes and C0 characters out of what a target sent before it is printed or put in XML.
      'no-control-regex': 'off',
    },
  },
  {
    // The build and CI scripts run in Node without a TypeScript loader.
    files: ['**/*.mjs', '**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },

  // The dependency rules. Tests may import what they test; the adapters (src/cli, src/worker) are imported by nothing else.
  restrict(['src/api.ts', 'src/node/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.mjs', 'fixtures/**/*.ts', 'examples/**/*.ts'], [intoCli, intoWorker]),
  // The Deno adapter is the CLI's run command under Deno: it imports src/cli/main.ts by design.
  restrict(['src/deno.ts'], [intoWorker]),
  restrict(folder('cli'), [intoWorker]),
  restrict(folder('worker'), [nodeBuiltins, nodeServer, intoCli]),
  restrict(folder('core'), [
    nodeBuiltins,
    nodeServer,
    intoCli,
    intoWorker,
    { regex: into('node', 'api', 'deno', 'reference-server'), message: 'the engine imports no adapter and no part of the reference server' },
    packagesBut('zod', 'jose'),
  ]),
  restrict(
    [...folder('checks'), ...folder('schema')],
    [
      nodeBuiltins,
      nodeServer,
      intoCli,
      intoWorker,
      { regex: into('core', 'reporters', 'node', 'api', 'deno', 'reference-server'), message: 'checks and schema depend on nothing but zod, jose and each other' },
      packagesBut('zod', 'jose'),
    ],
  ),
  restrict(folder('reporters'), [
    nodeBuiltins,
    nodeServer,
    { regex: into(...SRC_FOLDERS.filter((f) => f !== 'reporters' && f !== 'schema')), message: 'reporters render a report: they import src/schema and their own files only' },
    packagesBut('hono/jsx', 'hono/html'),
  ]),
  // The reference server is an independent oracle: a type (a target's shape) is no code and cannot share a bug with the engine.
  restrict(
    folder('reference-server'),
    [nodeBuiltins, nodeServer, { regex: '^\\.\\./', message: 'the reference server imports no part of the engine (type-only imports excepted)' }, packagesBut('hono', 'jose')],
    { allowTypeImports: true },
  ),
  // Tests run in Node and may import what they test, wherever they are.
  { files: tests, rules: { '@typescript-eslint/no-restricted-imports': 'off' } },
)
