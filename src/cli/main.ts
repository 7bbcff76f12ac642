#!/usr/bin/env node
/**
 * The grantcheck command line: the Node adapter around the engine. Files, environment, console
 * and exit codes live here and nowhere else.
 */
import { closeSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { TOOL_VERSION } from '../core/builtin.ts'
import { ConformanceError, InputInvalidError } from '../core/errors.ts'
import { runPlan, type RunContext } from '../core/engine.ts'
import { assertDistinctSuites, type PlannedSuite } from '../core/plan.ts'
import { resolveTarget, type ResolvedTarget } from '../core/resolve.ts'
import type { Outcome, Report } from '../schema/report.ts'
import { applyAcceptances, compareWithBaseline, gateFailures } from '../core/baseline.ts'
import { renderText } from '../reporters/text.ts'
import { plain } from '../reporters/plain.ts'
import type { FetchLike } from '../core/http.ts'
import { createNodeTransport } from './transport.ts'
import { displayPath, loadAcceptancesFile, loadReportFile, loadTargetFile, profileForTarget, resolveSuiteArgs } from './files.ts'

export const EXIT = { ok: 0, conformance: 1, usage: 2, runtime: 3 } as const

const USAGE = `grantcheck — conformance tests for the OAuth 2.0 client credentials grant

Usage:
  grantcheck run --target FILE [--target FILE…] [--suite FILE|ID…] [--out DIR]
                 [--baseline OLD.json] [--accept FILE] [--accept-known] [--strict] [--allow-errored]
  grantcheck report REPORT.json --format html|junit|md|json|matrix [--output FILE]
  grantcheck compare REPORT.json REPORT.json… [--out DIR]   one matrix of several reports
  grantcheck init --provider okta|auth0|entra|cognito|keycloak|rfc6749|oauth21 [--output FILE]
  grantcheck demo [--defect NAME…] [--out DIR]     run every suite against the embedded reference server
  grantcheck fixture [--port N] [--defect NAME…]   serve the reference server on 127.0.0.1
  grantcheck generate                              regenerate schemas/*.schema.json, docs/requirements.md and docs/proof.md

Secrets come from the environment variables the target file names ({ "env": "VAR" }).
Exit codes: 0 no MUST failed · 1 conformance failures · 2 usage or config error · 3 runtime error
With --baseline only new failures count; --accept lists accepted deviations (case, target, reason);
--strict also fails on warnings; --allow-errored does not fail on cases that could not be judged.`

class UsageError extends Error {}

/**
 * Runs the CLI; returns the exit code instead of exiting, so tests can call it. `fetchImpl`
 * replaces the node:http transport for runs (Deno sends with its own fetch).
 */
export async function main(argv: string[], io: Io = processIo(), fetchImpl?: FetchLike): Promise<number> {
  const [command, ...rest] = argv
  try {
    switch (command) {
      case 'run':
        return await runCommand(rest, io, fetchImpl)
      case 'report':
        return await reportCommand(rest, io)
      case 'compare':
        return await compareCommand(rest, io)
      case 'init': {
        const { initCommand } = await import('./init.ts')
        return initCommand(rest, io)
      }
      case 'demo': {
        const { demoCommand } = await import('./demo.ts')
        return await demoCommand(rest, io)
      }
      case 'fixture': {
        const { fixtureCommand } = await import('./demo.ts')
        return await fixtureCommand(rest, io)
      }
      case 'generate': {
        const { writeGenerated } = await import('./generate.ts')
        for (const f of writeGenerated()) io.out(`wrote ${displayPath(f)}`)
        return EXIT.ok
      }
      case '--version':
        io.out(TOOL_VERSION)
        return EXIT.ok
      case undefined:
      case '--help':
      case '-h':
      case 'help':
        io.out(USAGE)
        return command === undefined ? EXIT.usage : EXIT.ok
      default:
        throw new UsageError(`unknown command "${command}"`)
    }
  } catch (e) {
    // Messages may quote input files or servers: printed through plain, like every report value.
    if (e instanceof UsageError || (e instanceof TypeError && (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS'))) {
      io.err(`grantcheck: ${plain(e.message)}\n\n${io.usage ?? USAGE}`)
      return EXIT.usage
    }
    if (e instanceof InputInvalidError) {
      io.err(`grantcheck: ${plain(e.file)}: invalid (${e.code}), nothing was sent:`)
      for (const i of e.issues) io.err(`  ${i.line ? `line ${i.line}: ` : ''}${i.path ? `${plain(i.path)}: ` : ''}${plain(i.message)}`)
      return EXIT.usage
    }
    const msg = e instanceof ConformanceError ? `${e.code}: ${e.message}` : e instanceof Error ? e.message : String(e)
    io.err(`grantcheck: runtime error: ${plain(msg)}`)
    return EXIT.runtime
  }
}

export interface Io {
  out(line: string): void
  err(line: string): void
  progress?(text: string): void
  env: Record<string, string | undefined>
  color: boolean
  /** Given the finished report once its files are written (Deno's --json prints it). */
  report?(report: Report): void
  /** The usage text for usage errors, where another adapter offers only some commands (Deno). */
  usage?: string
}

function processIo(): Io {
  const tty = process.stderr.isTTY === true
  return {
    out: (l) => process.stdout.write(`${l}\n`),
    err: (l) => process.stderr.write(`${l}\n`),
    progress: tty ? (t) => process.stderr.write(`\r\x1b[K${t}`) : undefined,
    env: process.env,
    color: process.stdout.isTTY === true && !process.env.NO_COLOR,
  }
}

const GATE_OPTIONS = {
  baseline: { type: 'string' },
  accept: { type: 'string' },
  strict: { type: 'boolean' },
  'allow-errored': { type: 'boolean' },
  'accept-known': { type: 'boolean' },
} as const

/** How a run is judged for CI: against a baseline, with accepted deviations, strict or not. */
export interface GateOptions {
  baseline?: string
  accept?: string
  strict?: boolean
  allowErrored?: boolean
  /** Deviations the target's provider profile documents do not fail the gate. */
  acceptKnown?: boolean
}

async function runCommand(args: string[], io: Io, fetchImpl?: FetchLike): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      target: { type: 'string', multiple: true },
      suite: { type: 'string', multiple: true },
      out: { type: 'string' },
      ...GATE_OPTIONS,
    },
    allowPositionals: false,
  })
  if (!values.target?.length) throw new UsageError('--target FILE is required')
  // Everything is loaded and validated before the first request.
  const targets = values.target.map((f) => {
    const file = resolve(f)
    const target = loadTargetFile(file)
    return { ...resolveTarget(target, (name) => io.env[name], displayPath(file)), profile: profileForTarget(target, file) }
  })
  const names = targets.map((t) => t.target.name)
  const twice = names.find((n, i) => names.indexOf(n) !== i)
  if (twice) throw new UsageError(`two targets are named "${twice}": give each target file its own name`)
  const suites = resolveSuiteArgs(values.suite ?? [])
  return executeRun(targets, suites, values.out ?? 'reports', io, fetchImpl, gateOptionsOf(values))
}

function gateOptionsOf(values: { baseline?: string; accept?: string; strict?: boolean; 'allow-errored'?: boolean; 'accept-known'?: boolean }): GateOptions {
  return { baseline: values.baseline, accept: values.accept, strict: values.strict, allowErrored: values['allow-errored'], acceptKnown: values['accept-known'] }
}

/**
 * Runs, writes the run folder, prints the summary and the CI gate; returns the exit code. Sends
 * with `fetchImpl` when given (tests route hostnames with it), else with the node:http transport.
 */
export async function executeRun(
  targets: ResolvedTarget[],
  suites: PlannedSuite[],
  outDir: string,
  io: Io,
  fetchImpl?: FetchLike,
  gate: GateOptions = {},
): Promise<number> {
  assertDistinctSuites(suites)
  // Gate inputs are read before the run, so a bad file costs no requests.
  const baseline = gate.baseline ? loadReportFile(resolve(gate.baseline)) : undefined
  const acceptances = gate.accept ? loadAcceptancesFile(resolve(gate.accept)) : []
  const totals = new Map<string, { done: number; of: number }>()
  const transport = fetchImpl ? undefined : createNodeTransport(`grantcheck/${TOOL_VERSION}`)
  const ctx: RunContext = {
    fetch: fetchImpl ?? transport!.fetch,
    now: () => Date.now(),
    randomId: () => crypto.randomUUID().replace(/-/g, ''),
    toolVersion: TOOL_VERSION,
    onEvent: (e) => {
      if (e.type === 'target:start') totals.set(e.target, { done: 0, of: e.cases })
      if (e.type === 'case:result') {
        const t = totals.get(e.target)!
        t.done++
        io.progress?.(`${plain(e.target, 80)}: ${t.done}/${t.of} cases`)
      }
    },
  }
  let report = await runPlan(targets, suites, ctx).finally(() => transport?.close())
  io.progress?.('')
  report = applyAcceptances(report, acceptances)
  if (baseline) report = compareWithBaseline(report, baseline, gate.strict)
  const dir = await writeReport(report, outDir)
  io.report?.(report)
  io.out(renderText(report, io.color ? paint : undefined))
  io.out(`\nReport: ${displayPath(join(dir, 'report.html'))}\n        ${displayPath(join(dir, 'report.json'))} (also junit.xml, summary.md${report.targets.length > 1 ? ', matrix.json' : ''})`)
  return gateExitCode(report, gate, io)
}

/**
 * The file renderers, each loaded when first used: the CLI bundle keeps them in chunks of their
 * own, so commands that render nothing, or one format, do not load the rest. Each gives its text
 * in pieces, which the large formats keep to about a case each (see writePieces).
 */
const RENDERERS = {
  json: async () => (await import('../reporters/json.ts')).renderJsonParts,
  html: async () => (await import('../reporters/html/index.ts')).renderHtmlParts,
  junit: async () => {
    const { renderJunit } = await import('../reporters/junit.ts')
    return (r: Report) => [renderJunit(r)]
  },
  md: async () => {
    const { renderMarkdown } = await import('../reporters/markdown.ts')
    return (r: Report) => [renderMarkdown(r)]
  },
  matrix: async () => {
    const { buildMatrix } = await import('../reporters/matrix.ts')
    return (r: Report) => [`${JSON.stringify(buildMatrix(r), null, 2)}\n`]
  },
} satisfies Record<string, () => Promise<(r: Report) => Iterable<string>>>

/** Writes every format of a report into its run folder; returns the folder. */
export async function writeReport(report: Report, outDir: string): Promise<string> {
  const dir = resolve(outDir, report.runId)
  mkdirSync(dir, { recursive: true })
  const files: Array<[string, keyof typeof RENDERERS]> = [
    ['report.json', 'json'],
    ['report.html', 'html'],
    ['junit.xml', 'junit'],
    ['summary.md', 'md'],
  ]
  if (report.targets.length > 1) files.push(['matrix.json', 'matrix'])
  // One format at a time, and the large ones a case at a time: a 10-target run's JSON and HTML are
  // 3–4 MB each, and building either whole took 7–17 MB more at the run's peak.
  for (const [name, format] of files) writePieces(join(dir, name), (await RENDERERS[format]())(report))
  return dir
}

/**
 * Writes the pieces in blocks of about 32 KB: few writes, and no block big enough to be a large
 * object. A rendering that fails part-way leaves no half-written file behind.
 */
function writePieces(file: string, pieces: Iterable<string>): void {
  const fd = openSync(file, 'w')
  let pending = ''
  const flush = () => {
    const bytes = Buffer.from(pending)
    for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done)
    pending = ''
  }
  try {
    for (const piece of pieces) {
      pending += piece
      if (pending.length >= 32_768) flush()
    }
    flush()
  } catch (e) {
    closeSync(fd)
    rmSync(file, { force: true })
    throw e
  }
  closeSync(fd)
}

/**
 * 1 when a case fails the gate (failed, or warned under --strict; only new ones with a baseline;
 * never accepted ones), else 3 when a case could not be judged (unless --allow-errored), else 0.
 */
export function gateExitCode(report: Report, gate: GateOptions, io?: Io): number {
  const failures = gateFailures(report, { strict: gate.strict ?? false, allowErrored: gate.allowErrored ?? false, acceptKnown: gate.acceptKnown })
  const judged = failures.filter((f) => f.case.outcome !== 'errored')
  const accepted = report.targets.flatMap((t) => t.cases).filter((c) => (c.accepted || (gate.acceptKnown && c.known)) && c.outcome === 'failed').length
  if (io && (report.baseline || gate.accept || gate.strict || gate.acceptKnown)) {
    const what = report.baseline ? 'new failures' : 'failures'
    io.out(`\nCI gate: ${judged.length} ${what}${accepted ? `, ${accepted} accepted` : ''}${failures.length - judged.length ? `, ${failures.length - judged.length} errored` : ''}`)
    for (const f of failures) io.out(`  ${plain(`${f.target}: ${f.case.suite}/${f.case.id}`)} (${f.case.outcome})`)
  }
  if (judged.length) return EXIT.conformance
  if (failures.length || report.targets.some((t) => t.error && !gate.allowErrored)) return EXIT.runtime
  return EXIT.ok
}

/** Re-renders a saved report in one format, to a file or standard output. */
async function reportCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: { format: { type: 'string' }, output: { type: 'string' } }, allowPositionals: true })
  if (positionals.length !== 1) throw new UsageError('give exactly one REPORT.json')
  const format = values.format ?? ''
  if (!Object.hasOwn(RENDERERS, format)) throw new UsageError(`--format must be one of ${Object.keys(RENDERERS).join(', ')}`)
  const report = loadReportFile(resolve(positionals[0]!))
  const pieces = (await RENDERERS[format as keyof typeof RENDERERS]())(report)
  if (values.output) {
    writePieces(resolve(values.output), pieces)
    io.out(`wrote ${displayPath(resolve(values.output))}`)
  } else io.out([...pieces].join('').replace(/\n$/, ''))
  return EXIT.ok
}

/** Merges saved reports into one comparison: a report of all their targets, with the matrix. */
async function compareCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: { out: { type: 'string' } }, allowPositionals: true })
  if (positionals.length < 2) throw new UsageError('give at least two REPORT.json files to compare')
  const reports = positionals.map((f) => loadReportFile(resolve(f)))
  const merged = mergeReports(reports, crypto.randomUUID().slice(0, 6))
  const dir = await writeReport(merged, values.out ?? 'reports')
  io.out(renderText(merged))
  io.out(`\nComparison of ${merged.targets.length} targets: ${displayPath(join(dir, 'report.html'))}\n        ${displayPath(join(dir, 'matrix.json'))}`)
  return EXIT.ok
}

/** One report holding every target of `reports`; a target name seen twice gets its run id appended. */
export function mergeReports(reports: Report[], random: string): Report {
  const seen = new Set<string>()
  const targets = reports.flatMap((r) =>
    r.targets.map((t) => {
      const name = seen.has(t.name) ? `${t.name} (${r.runId})` : t.name
      seen.add(name)
      return { ...t, name }
    }),
  )
  const suites = new Map(reports.flatMap((r) => r.suites.map((s) => [s.id, s])))
  const started = reports.map((r) => r.startedAt).sort()
  return {
    ...reports[0]!,
    runId: `compare-${started[0]!.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}-${random}`,
    startedAt: started[0]!,
    finishedAt: reports.map((r) => r.finishedAt).sort().at(-1)!,
    suites: [...suites.values()],
    targets,
    baseline: undefined,
  }
}

const COLORS: Record<Outcome, number> = { passed: 32, failed: 31, warning: 33, info: 36, skipped: 90, errored: 35 }
function paint(o: Outcome, text: string): string {
  return `\x1b[${COLORS[o]}m${text}\x1b[0m`
}

const isEntry = process.argv[1] && /grantcheck(\.mjs)?$|cli[\\/]main\.ts$/.test(process.argv[1])
if (isEntry) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code
    },
    (e) => {
      process.stderr.write(`grantcheck: internal error: ${plain(e instanceof Error ? e.message : String(e))}\n`)
      process.exitCode = EXIT.runtime
    },
  )
}
