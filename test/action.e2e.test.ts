/**
 * The GitHub Action (action.yml) run outside GitHub: its steps in order, as the runner would run
 * them (bash with -eo pipefail, `${{ }}` filled in, a fresh GITHUB_OUTPUT per step, one
 * GITHUB_STEP_SUMMARY), against the reference server on 127.0.0.1. `uses:` steps need GitHub, so
 * they are only checked (pinned; their `if:` and `with:` evaluated), not run; setup-node's part is
 * played by the node running this test.
 *
 * grantcheck is this checkout's build (dist/, `npm run build` first): through GRANTCHECK_CLI,
 * the override action-run.mjs documents, and once through the `package` input, which npm installs
 * from a local folder shaped like the published package.
 */
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parse } from 'yaml'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createReferenceServer } from '../src/reference-server/app.ts'
import { listen, type RunningServer } from '../fixtures/serve.ts'
import { hostedReferenceTarget, ROOT } from './_run.ts'
import { leaksIn } from './_leaks.ts'

interface ActionStep {
  name: string
  id?: string
  if?: string
  uses?: string
  with?: Record<string, string>
  shell?: string
  env?: Record<string, string>
  run?: string
}
interface Action {
  inputs: Record<string, { required?: boolean; default?: string }>
  outputs: Record<string, { value: string }>
  runs: { using: string; steps: ActionStep[] }
}

const ACTION_TEXT = readFileSync(join(ROOT, 'action.yml'), 'utf8')
const action = parse(ACTION_TEXT) as Action
const CLI = join(ROOT, 'dist/grantcheck.mjs')

interface Context {
  inputs: Record<string, string>
  steps: Record<string, Record<string, string>>
  workspace: string
}

/** One `${{ }}` expression: only the forms action.yml uses, so a new form fails here, loudly. */
function value(expr: string, ctx: Context): string {
  let m: RegExpMatchArray | null
  if ((m = expr.match(/^inputs\.([\w-]+)$/))) {
    if (!(m[1]! in action.inputs)) throw new Error(`action.yml reads an undeclared input ${m[1]}`)
    return ctx.inputs[m[1]!] ?? ''
  }
  if ((m = expr.match(/^steps\.([\w-]+)\.outputs\.([\w-]+)$/))) return ctx.steps[m[1]!]?.[m[2]!] ?? ''
  if (expr === 'github.workspace') return ctx.workspace
  throw new Error(`the test cannot evaluate \${{ ${expr} }}`)
}

const interpolate = (text: string, ctx: Context) => text.replace(/\$\{\{\s*(.*?)\s*\}\}/g, (_, e: string) => value(e, ctx))

/** An `if:`: terms joined by &&, each a status function or a comparison with ''; success() unless a status function is named. */
function shouldRun(cond: string | undefined, ctx: Context, failed: boolean): boolean {
  if (cond === undefined) return !failed
  const terms = cond
    .replace(/^\$\{\{\s*|\s*\}\}$/g, '')
    .split('&&')
    .map((t) => t.trim())
  const status = terms.some((t) => /^(always|success|failure)\(\)$/.test(t))
  const holds = terms.every((t) => {
    if (t === 'always()') return true
    if (t === 'success()') return !failed
    if (t === 'failure()') return failed
    const cmp = t.match(/^(.+?)\s*(==|!=)\s*''$/)
    if (!cmp) throw new Error(`the test cannot evaluate if: ${cond}`)
    return (value(cmp[1]!, ctx) === '') === (cmp[2] === '==')
  })
  return holds && (status || !failed)
}

/** Runs a command without blocking: the reference server answers from this same process. */
function exec(cmd: string, args: string[], opts: { cwd: string; env: Record<string, string> }): Promise<{ code: number; out: string }> {
  return new Promise((resolveExec, reject) => {
    const child = spawn(cmd, args, { ...opts, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', (d) => (out += d))
    child.stderr.on('data', (d) => (out += d))
    child.on('error', reject)
    child.on('close', (code) => resolveExec({ code: code ?? 128, out }))
  })
}

interface StepResult {
  name: string
  ran: boolean
  /** A `uses:` step whose `if:` held: GitHub would run it, with these `with:` values. */
  wouldRun?: boolean
  code?: number
  log?: string
  with?: Record<string, string>
}
interface ActionRun {
  steps: StepResult[]
  /** The action's outputs, as the calling workflow would read them. */
  outputs: Record<string, string>
  summary: string
  /** Every GITHUB_OUTPUT file's text and every step's log: where a secret must not appear. */
  written: string[]
  /** The exit code of the last step that ran: the job's verdict. */
  code: number
}

/** Parses a GITHUB_OUTPUT file: `name=value` lines and `name<<DELIM` … `DELIM` blocks. */
function parseOutputs(text: string): Record<string, string> {
  const out: Record<string, string> = {}
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!
    const heredoc = line.match(/^([\w-]+)<<(.+)$/)
    if (heredoc) {
      const end = lines.indexOf(heredoc[2]!, i + 1)
      out[heredoc[1]!] = lines.slice(i + 1, end).join('\n')
      i = end
    } else if (line.includes('=')) out[line.slice(0, line.indexOf('='))] = line.slice(line.indexOf('=') + 1)
  }
  return out
}

/** Runs action.yml's steps in `workspace` with the given inputs and caller `env:` (the secrets). */
async function runAction(workspace: string, given: Record<string, string>, env: Record<string, string> = {}): Promise<ActionRun> {
  const runner = mkdtempSync(join(tmpdir(), 'grantcheck-runner-'))
  const summaryFile = join(runner, 'step-summary.md')
  writeFileSync(summaryFile, '')
  const ctx: Context = { inputs: {}, steps: {}, workspace }
  for (const [name, input] of Object.entries(action.inputs)) {
    const v = given[name] ?? interpolate(input.default ?? '', ctx)
    if (input.required && !v) throw new Error(`input ${name} is required`)
    ctx.inputs[name] = v
  }
  const base = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? runner,
    GITHUB_ACTIONS: 'true',
    GITHUB_WORKSPACE: workspace,
    GITHUB_ACTION_PATH: ROOT,
    GITHUB_STEP_SUMMARY: summaryFile,
    RUNNER_TEMP: runner,
    ...env,
  }
  const steps: StepResult[] = []
  const written: string[] = []
  let failed = false
  let code = 0
  for (const [i, step] of action.runs.steps.entries()) {
    if (!shouldRun(step.if, ctx, failed)) {
      steps.push({ name: step.name, ran: false })
      continue
    }
    if (step.uses) {
      steps.push({ name: step.name, ran: false, wouldRun: true, with: Object.fromEntries(Object.entries(step.with ?? {}).map(([k, v]) => [k, interpolate(String(v), ctx)])) })
      continue
    }
    expect(step.shell, `${step.name}: composite run steps name their shell`).toBe('bash')
    const script = join(runner, `step-${i}.sh`)
    const outputFile = join(runner, `output-${i}`)
    writeFileSync(script, step.run!)
    writeFileSync(outputFile, '')
    const stepEnv = Object.fromEntries(Object.entries(step.env ?? {}).map(([k, v]) => [k, interpolate(String(v), ctx)]))
    // How GitHub runs `shell: bash`.
    const r = await exec('bash', ['--noprofile', '--norc', '-eo', 'pipefail', script], { cwd: workspace, env: { ...base, ...stepEnv, GITHUB_OUTPUT: outputFile } })
    const outputText = readFileSync(outputFile, 'utf8')
    written.push(outputText, r.out)
    if (step.id) ctx.steps[step.id] = parseOutputs(outputText)
    steps.push({ name: step.name, ran: true, code: r.code, log: r.out })
    code = r.code
    if (r.code !== 0) failed = true
  }
  const outputs = Object.fromEntries(Object.entries(action.outputs).map(([k, o]) => [k, interpolate(o.value, ctx)]))
  return { steps, outputs, summary: readFileSync(summaryFile, 'utf8'), written, code }
}

const step = (run: ActionRun, name: RegExp) => run.steps.find((s) => name.test(s.name))!

let clean: RunningServer
let broken: RunningServer
beforeAll(async () => {
  const cleanApp = await createReferenceServer()
  const brokenApp = await createReferenceServer({ defects: ['no-cache-headers'] })
  clean = await listen((req) => cleanApp.fetch(req))
  broken = await listen((req) => brokenApp.fetch(req))
})
afterAll(async () => {
  await clean?.close()
  await broken?.close()
})

// The reference target with every secret an environment reference, as a real target file has.
const { target: envTarget, env: SECRETS } = hostedReferenceTarget()
const secretValues = Object.entries(SECRETS).map(([name, v]) => [name, v.startsWith('{') ? (JSON.parse(v) as { d: string }).d : v] as const)

/** A workspace holding target files (name → issuer), as a checked-out repository would. */
function workspaceWith(targets: Record<string, string>): string {
  const ws = mkdtempSync(join(tmpdir(), 'grantcheck-ws-'))
  mkdirSync(join(ws, 'targets'))
  for (const [name, issuer] of Object.entries(targets))
    // Loopback needs none of the hosted name's limits.
    writeFileSync(join(ws, 'targets', `${name}.json`), JSON.stringify({ ...envTarget, name, issuer, limits: undefined }, null, 2))
  return ws
}

// Built by `npm run build`: the action runs what the package ships.
const withBuild = { GRANTCHECK_CLI: CLI }
const SUITE = 'token-response'

describe('action.yml', () => {
  it('is a composite action whose third-party steps are pinned by commit', () => {
    expect(action.runs.using).toBe('composite')
    const uses = action.runs.steps.filter((s) => s.uses).map((s) => s.uses!)
    expect(uses.map((u) => u.split('@')[0])).toEqual(['actions/setup-node', 'actions/upload-artifact'])
    for (const u of uses) {
      expect(u).toMatch(/@[0-9a-f]{40}$/)
      expect(ACTION_TEXT, `${u} names its release in a comment`).toMatch(new RegExp(`${u.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} # v\\d+\\.\\d+\\.\\d+`))
    }
    // The default installs the release this checkout is: an action ref runs its own grantcheck.
    const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version
    expect(action.inputs.package!.default, 'bump the package input with the version').toBe(`grantcheck@${version}`)
    // Inputs reach the shell through env:, never pasted into the script.
    for (const s of action.runs.steps) if (s.run) expect(s.run).not.toContain('${{')
  })

  it('is used by the examples as declared: inputs, secrets by env, JUnit wired, the same pinned package', () => {
    const workflow = parse(readFileSync(join(ROOT, 'examples/github-workflow.yml'), 'utf8')) as { jobs: Record<string, { steps: ActionStep[] }> }
    const steps = Object.values(workflow.jobs).flatMap((j) => j.steps)
    const grantcheck = steps.find((s) => s.uses === './')!
    expect(Object.keys(grantcheck.with!).filter((k) => !(k in action.inputs))).toEqual([])
    expect(grantcheck.with!.targets).toBeTruthy()
    expect(Object.values(grantcheck.with!).join(' ')).not.toContain('secrets.')
    expect(Object.values(grantcheck.env!).every((v) => /^\$\{\{ secrets\.\w+ \}\}$/.test(v))).toBe(true)
    for (const s of steps) if (s.uses && s.uses !== './') expect(s.uses).toMatch(/@[0-9a-f]{40}$/)

    const gitlab = parse(readFileSync(join(ROOT, 'examples/gitlab-ci.yml'), 'utf8')) as Record<
      string,
      { variables: Record<string, string>; script: string[]; artifacts: { when: string; paths: string[]; reports: { junit: string } } }
    >
    const job = gitlab.grantcheck!
    expect(job.variables.GRANTCHECK_PACKAGE).toBe(action.inputs.package!.default)
    const out = job.script.join('\n').match(/--out (\S+)/)![1]!
    expect(job.artifacts).toMatchObject({ when: 'always', paths: [`${out}/`], reports: { junit: `${out}/*/junit.xml` } })
  })

  it('passes: summary on the job page, outputs set, reports written and uploaded, exit 0; secrets nowhere', async () => {
    const ws = workspaceWith({ 'ref-a': clean.url, 'ref-b': clean.url })
    // Newline- and space-separated, as a YAML block input gives them.
    const run = await runAction(ws, { targets: 'targets/ref-a.json\n  targets/ref-b.json ', suites: SUITE }, { ...SECRETS, ...withBuild })
    expect(run.steps.filter((s) => s.ran).map((s) => [s.name, s.code])).toEqual([
      ['Install grantcheck', 0],
      ['Run grantcheck', 0],
      ['Add the summary to the job summary', 0],
      ["Exit with grantcheck's exit code", 0],
    ])
    expect(run.code).toBe(0)

    const dir = run.outputs['report-dir']!
    expect(dir.startsWith(join(ws, 'grantcheck-reports'))).toBe(true)
    expect(run.outputs).toEqual({
      'exit-code': '0',
      'report-dir': dir,
      'report-json': join(dir, 'report.json'),
      'report-html': join(dir, 'report.html'),
      'junit-xml': join(dir, 'junit.xml'),
      'summary-md': join(dir, 'summary.md'),
    })
    for (const f of ['report.json', 'report.html', 'junit.xml', 'summary.md', 'matrix.json']) expect(existsSync(join(dir, f)), f).toBe(true)
    const report = JSON.parse(readFileSync(run.outputs['report-json']!, 'utf8')) as { targets: Array<{ name: string }> }
    expect(report.targets.map((t) => t.name)).toEqual(['ref-a', 'ref-b'])

    // The job summary is grantcheck's Markdown summary, as written.
    expect(run.summary).toBe(readFileSync(join(dir, 'summary.md'), 'utf8'))
    expect(run.summary).toContain('ref-a')
    // The upload would run, with the run folder.
    expect(step(run, /Upload/)).toMatchObject({ wouldRun: true, with: { path: dir, name: 'grantcheck-reports' } })
    expect(step(run, /Set up Node/)).toMatchObject({ wouldRun: true, with: { 'node-version': '20' } })

    const files = readdirSync(dir).map((f) => readFileSync(join(dir, f), 'utf8'))
    expect(leaksIn([run.summary, ...run.written, ...Object.values(run.outputs), ...files], secretValues)).toEqual([])
  })

  it('fails with exit 1 when the server has a defect, and still writes the summary and uploads', async () => {
    const ws = workspaceWith({ 'ref-defect': broken.url })
    const run = await runAction(ws, { targets: 'targets/ref-defect.json', suites: SUITE, out: 'out' }, { ...SECRETS, ...withBuild })
    expect(run.outputs['exit-code']).toBe('1')
    expect(step(run, /Run grantcheck/).code).toBe(0)
    expect(step(run, /Run grantcheck/).log).toContain('::error::grantcheck exited 1: conformance failures')
    expect(step(run, /Add the summary/).code).toBe(0)
    expect(run.summary).toContain('token-response-headers')
    expect(run.outputs['report-dir']!.startsWith(join(ws, 'out'))).toBe(true)
    expect(step(run, /Upload/)).toMatchObject({ wouldRun: true, with: { path: run.outputs['report-dir'] } })
    expect(step(run, /Exit with/)).toMatchObject({ ran: true, code: 1 })
    expect(run.code).toBe(1)
    expect(leaksIn([run.summary, ...run.written], secretValues)).toEqual([])
  })

  it('passes with a baseline that already has the failure, or with the deviation accepted', async () => {
    const ws = workspaceWith({ 'ref-defect': broken.url })
    const first = await runAction(ws, { targets: 'targets/ref-defect.json', suites: SUITE }, { ...SECRETS, ...withBuild })
    expect(first.code).toBe(1)
    // The baseline as a workflow keeps it: a file committed to the repository.
    writeFileSync(join(ws, 'baseline.json'), readFileSync(first.outputs['report-json']!))
    const again = await runAction(ws, { targets: 'targets/ref-defect.json', suites: SUITE, baseline: 'baseline.json' }, { ...SECRETS, ...withBuild })
    expect(again.outputs['exit-code']).toBe('0')
    expect(again.code).toBe(0)
    expect(step(again, /Run grantcheck/).log).toContain('CI gate: 0 new failures')
    expect(again.summary).toBe(readFileSync(again.outputs['summary-md']!, 'utf8'))

    writeFileSync(join(ws, 'accepted.yaml'), '- case: token-response/token-response-headers\n  target: ref-defect\n  reason: tested by the action test\n')
    const accepted = await runAction(ws, { targets: 'targets/ref-defect.json', suites: SUITE, accept: 'accepted.yaml' }, { ...SECRETS, ...withBuild })
    expect(accepted.code).toBe(0)
    expect(step(accepted, /Run grantcheck/).log).toContain('1 accepted')

    // The boolean inputs become grantcheck's flags; the baseline still holds the one failure.
    const flags = { strict: 'true', 'accept-known': 'true', 'allow-errored': 'true' }
    const gated = await runAction(ws, { targets: 'targets/ref-defect.json', suites: SUITE, baseline: 'baseline.json', ...flags }, { ...SECRETS, ...withBuild })
    expect(step(gated, /Run grantcheck/).log).toMatch(/grantcheck run .* --accept-known --strict --allow-errored\n/)
    expect(gated.code).toBe(0)
  })

  it('exits 2 without a report for a missing target file or a bad input; nothing is uploaded', async () => {
    const ws = workspaceWith({})
    const missing = await runAction(ws, { targets: 'targets/none.json' }, withBuild)
    expect(missing.outputs).toMatchObject({ 'exit-code': '2', 'report-dir': '', 'report-json': '' })
    expect(missing.summary).toContain('wrote no report (exit code 2)')
    expect(step(missing, /Upload/)).toEqual({ name: 'Upload the reports', ran: false })
    expect(missing.code).toBe(2)

    const bad = await runAction(workspaceWith({ 'ref-a': clean.url }), { targets: 'targets/ref-a.json', strict: 'yes' }, { ...SECRETS, ...withBuild })
    expect(step(bad, /Run grantcheck/).log).toContain('::error::grantcheck action: input strict must be true or false, not "yes"')
    expect(bad.code).toBe(2)
  })

  it('installs grantcheck with npm from the package input (a local folder here, the registry in real use)', async () => {
    // A package shaped like the published one: its manifest and bin, the build as its dist/.
    const pkg = mkdtempSync(join(tmpdir(), 'grantcheck-pkg-'))
    writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: 'grantcheck', version: '0.0.0-test', type: 'module', bin: { grantcheck: 'dist/grantcheck.mjs' } }))
    symlinkSync(join(ROOT, 'dist'), join(pkg, 'dist'))
    const ws = workspaceWith({ 'ref-a': clean.url })
    const run = await runAction(ws, { targets: 'targets/ref-a.json', suites: SUITE, package: pkg }, SECRETS)
    expect(step(run, /Install/).log).toContain('grantcheck: installed 0.0.0-test')
    expect(run.outputs['exit-code']).toBe('0')
    expect(run.code).toBe(0)
  })
})
