/**
 * grantcheck as users get it: `npm pack` on a tree shaped like a fresh clone (the files git holds,
 * no dist/), then the tarball installed into an empty project with npm, offline (its
 * dependencies come from npm's cache, which `npm ci` filled), and used from there: the
 * `grantcheck` bin (demo, run), the programmatic API from JavaScript, and its types from TypeScript.
 */
import { execFileSync, spawn } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createReferenceServer } from '../src/reference-server/app.ts'
import { listen, type RunningServer } from '../fixtures/serve.ts'
import { referenceTarget, ROOT } from './_run.ts'

interface Packed {
  filename: string
  size: number
  unpackedSize: number
  entryCount: number
  files: Array<{ path: string; size: number }>
}

function exec(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(cmd, args, { cwd, env: { ...process.env, NO_COLOR: '1', npm_config_update_notifier: 'false', ...env } })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d))
    child.stderr.on('data', (d: Buffer) => (stderr += d))
    child.on('error', fail)
    child.on('close', (code) => done({ code: code ?? -1, stdout, stderr }))
  })
}

const work = mkdtempSync(join(tmpdir(), 'grantcheck-package-'))
const clone = join(work, 'clone')
const app = join(work, 'app')
const bin = join(app, 'node_modules', '.bin', 'grantcheck')
let packed: Packed
let server: RunningServer

beforeAll(async () => {
  // A fresh clone's files: what git tracks, and new files it would track; node_modules shared.
  const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], { cwd: ROOT }).toString().split('\0').filter(Boolean)
  for (const f of files) {
    if (!existsSync(join(ROOT, f))) continue
    mkdirSync(dirname(join(clone, f)), { recursive: true })
    copyFileSync(join(ROOT, f), join(clone, f))
  }
  symlinkSync(join(ROOT, 'node_modules'), join(clone, 'node_modules'), 'dir')
  const pack = await exec('npm', ['pack', '--json', '--pack-destination', work], clone)
  expect(pack.code, pack.stderr).toBe(0)
  packed = (JSON.parse(pack.stdout) as Packed[])[0]!
  console.log(`npm pack: ${packed.filename}, ${packed.size} bytes packed, ${packed.unpackedSize} unpacked, ${packed.entryCount} files`)

  mkdirSync(app)
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'my-idp-checks', private: true, type: 'module' }))
  const install = await exec('npm', ['install', '--offline', '--no-audit', '--no-fund', join(work, packed.filename)], app)
  expect(install.code, install.stderr).toBe(0)

  server = await listen((await createReferenceServer()).fetch)
}, 300_000)

afterAll(async () => {
  await server?.close()
  rmSync(work, { recursive: true, force: true })
})

describe('the npm package', () => {
  it('holds what users need, and no tests, fixtures, sources or source maps', () => {
    const paths = packed.files.map((f) => f.path)
    for (const needed of [
      'package.json',
      'README.md',
      'LICENSE',
      'dist/grantcheck.mjs',
      'dist/api.mjs',
      'dist/types/api.d.ts',
      'suites/scope.yaml',
      'suites/_groups.yaml',
      'profiles/okta.yaml',
      'schemas/target.schema.json',
      'src/reference-server/reference-target.json',
    ])
      expect(paths).toContain(needed)
    const unwanted = paths.filter((p) => /\.map$|\.test\.|^test\/|^fixtures\/|^bench\/|^scripts\/|^migrations\/|(^src\/.*\.tsx?$)|node_modules/.test(p))
    expect(unwanted).toEqual([])
    const manifest = JSON.parse(readFileSync(join(app, 'node_modules/grantcheck/package.json'), 'utf8')) as Record<string, unknown>
    expect(manifest.private).toBeUndefined()
  })

  it('gives a grantcheck command that knows its version and its commands', async () => {
    const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version
    const v = await exec(bin, ['--version'], app)
    expect(v.stdout.trim()).toBe(version)
    const help = await exec(bin, ['run', '--help'], app)
    expect(help.code).toBe(0)
    expect(help.stdout).toContain('--target FILE')
  })

  it('runs the demo from the empty project, writing the reports there', async () => {
    const demo = await exec(bin, ['demo', '--suite', 'scope'], app)
    expect(demo.code, demo.stdout + demo.stderr).toBe(0)
    const runs = readdirSync(join(app, 'reports'))
    expect(runs).toHaveLength(1)
    for (const f of ['report.json', 'report.html', 'junit.xml', 'summary.md']) expect(existsSync(join(app, 'reports', runs[0]!, f)), f).toBe(true)
    expect(existsSync(join(app, 'node_modules/grantcheck/reports'))).toBe(false)
  })

  it('runs a target file against a server', async () => {
    writeFileSync(join(app, 'reference.json'), JSON.stringify({ ...referenceTarget(server.url), $schema: './node_modules/grantcheck/schemas/target.schema.json' }))
    const run = await exec(bin, ['run', '--target', 'reference.json', '--suite', 'client-authentication', '--out', 'out'], app)
    expect(run.code, run.stdout + run.stderr).toBe(0)
    const [runId] = readdirSync(join(app, 'out'))
    const report = JSON.parse(readFileSync(join(app, 'out', runId!, 'report.json'), 'utf8')) as { targets: Array<{ summary: { outcomes: Record<string, number> } }> }
    expect(report.targets[0]!.summary.outcomes.failed).toBe(0)
    expect(report.targets[0]!.summary.outcomes.passed).toBeGreaterThan(5)
  })

  it('serves its API to JavaScript through the exports map', async () => {
    writeFileSync(
      join(app, 'check.mjs'),
      `import { loadSuites, loadTarget, run, failures, render, VERSION } from 'grantcheck'
const target = loadTarget('reference.json')
const report = await run({ targets: [target], suites: loadSuites(['scope']) })
console.log(JSON.stringify({ version: VERSION, target: target.name, cases: report.targets[0].cases.length, failures: failures(report).length, junit: render(report, 'junit').startsWith('<?xml') }))
`,
    )
    const r = await exec(process.execPath, ['check.mjs'], app)
    expect(r.code, r.stderr).toBe(0)
    expect(JSON.parse(r.stdout)).toMatchObject({ target: 'reference', cases: 7, failures: 0, junit: true })
    // Only the entry point is public.
    const deep = await exec(process.execPath, ['--input-type=module', '-e', "await import('grantcheck/dist/chunks/x.mjs')"], app)
    expect(deep.stderr).toContain('ERR_PACKAGE_PATH_NOT_EXPORTED')
  })

  it('types its API for TypeScript users (a wrong use does not compile)', async () => {
    writeFileSync(
      join(app, 'check.ts'),
      `import { loadSuites, loadTarget, run, type Report, type Outcome } from 'grantcheck'
const report: Report = await run({ targets: [loadTarget('reference.json')], suites: loadSuites(['scope']) })
const outcome: Outcome = report.targets[0]!.cases[0]!.outcome
const passed: number = report.targets[0]!.summary.outcomes.passed
// @ts-expect-error: an outcome is not a number
const wrong: number = outcome
// @ts-expect-error: run needs its targets
await run({ suites: loadSuites() })
export { passed, wrong }
`,
    )
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', strict: true, noEmit: true, types: [], typeRoots: [join(ROOT, 'node_modules/@types')] },
        files: ['check.ts'],
      }),
    )
    const tsc = await exec(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], app)
    expect(tsc.stdout + tsc.stderr).toBe('')
    expect(tsc.code).toBe(0)
  })
})
