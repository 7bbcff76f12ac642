#!/usr/bin/env node
/**
 * The grantcheck command line: the Node adapter around the engine. Files, environment, console
 * and exit codes live here and nowhere else.
 */
import { join, resolve } from 'node:path'
import { TOOL_VERSION } from '../core/builtin.ts'
import { ConformanceError, InputInvalidError } from '../core/errors.ts'
import { assertDistinctSuites, type PlannedSuite } from '../core/plan.ts'
import type { ResolvedTarget } from '../core/resolve.ts'
import type { Outcome, Report } from '../schema/report.ts'
import { applyAcceptances, compareWithBaseline, gateFailures, mergeReports } from '../core/baseline.ts'
import { renderText } from '../reporters/text.ts'
import { foldSharedErrors } from '../reporters/causes.ts'
import { plain } from '../reporters/plain.ts'
import type { FetchLike } from '../core/http.ts'
import { duplicateTargetName, runFromNode } from '../node/run.ts'
import { commandUsage, isCommand, overallUsage, parseCommand, UsageError, type CommandName, type Parsed } from './usage.ts'
import { RENDERERS, writePieces, writeReport } from '../node/write-report.ts'
import { displayPath, loadAcceptancesFile, loadReportFile, loadTargetFile, resolveSuiteArgs, resolveWithProfile } from '../node/files.ts'

export const EXIT = { ok: 0, conformance: 1, usage: 2, runtime: 3 } as const

/**
 * The commands, each given its parsed arguments (src/cli/usage.ts parses them and answers --help
 * before any command runs). The heavy ones are imported when used.
 */
const COMMAND_RUNNERS: { [N in CommandName]: (args: Parsed<N>, io: Io, fetchImpl?: FetchLike) => Promise<number> | number } = {
  run: runCommand,
  report: reportCommand,
  compare: compareCommand,
  init: async (args, io) => (await import('./init.ts')).initCommand(args.values, io),
  demo: async (args, io) => (await import('./demo.ts')).demoCommand(args.values, io),
  fixture: async (args, io) => (await import('./demo.ts')).fixtureCommand(args.values, io),
  worker: async (args, io) => (await import('./worker.ts')).workerCommand(args, io),
  generate: async (_args, io) => {
    const { writeGenerated } = await import('./generate.ts')
    for (const f of writeGenerated()) io.out(`wrote ${displayPath(f)}`)
    return EXIT.ok
  },
  help: ({ positionals: [name, ...more] }, io) => {
    if (more.length) throw new UsageError('give at most one COMMAND', 'help')
    if (name !== undefined && !isCommand(name)) throw new UsageError(`unknown command "${name}"`, 'help')
    io.out(name ? commandUsage(name) : overallUsage())
    return EXIT.ok
  },
}

/**
 * Runs the CLI; returns the exit code instead of exiting, so tests can call it. `fetchImpl`
 * replaces the node:http transport for runs (Deno sends with its own fetch).
 */
export async function main(argv: string[], io: Io = processIo(), fetchImpl?: FetchLike): Promise<number> {
  const [command, ...rest] = argv
  try {
    if (isCommand(command)) {
      const args = parseCommand(command, rest)
      if (args.values.help) {
        io.out(commandUsage(command))
        return EXIT.ok
      }
      // Each runner takes its own command's arguments: the table above is typed per command.
      return await (COMMAND_RUNNERS[command] as (a: typeof args, io: Io, f?: FetchLike) => Promise<number> | number)(args, io, fetchImpl)
    }
    switch (command) {
      case '--version':
      case '-v':
        io.out(TOOL_VERSION)
        return EXIT.ok
      case '--help':
      case '-h':
        io.out(overallUsage())
        return EXIT.ok
      case undefined:
        // No command is a usage error (exit 2), as it always was; the usage goes where it always went.
        io.out(overallUsage())
        return EXIT.usage
      default:
        throw new UsageError(`unknown command "${command}"`)
    }
  } catch (e) {
    // Messages may quote input files or servers: printed through plain, like every report value.
    if (e instanceof UsageError) {
      io.err(`grantcheck: ${plain(e.message)}\n\n${io.usage ?? (e.command ? commandUsage(e.command) : overallUsage())}`)
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

/** How a run is judged for CI: against a baseline, with accepted deviations, strict or not. */
export interface GateOptions {
  baseline?: string
  accept?: string
  strict?: boolean
  allowErrored?: boolean
  /** Deviations the target's provider profile documents do not fail the gate. */
  acceptKnown?: boolean
}

async function runCommand({ values }: Parsed<'run'>, io: Io, fetchImpl?: FetchLike): Promise<number> {
  if (!values.target?.length) throw new UsageError('--target FILE is required', 'run')
  // Everything is loaded and validated before the first request.
  const targets = values.target.map((f) => resolveWithProfile(loadTargetFile(resolve(f)), io.env, resolve(f)))
  const twice = duplicateTargetName(targets)
  if (twice) throw new UsageError(`two targets are named "${twice}": give each target file its own name`, 'run')
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
export async function executeRun(targets: ResolvedTarget[], suites: PlannedSuite[], outDir: string, io: Io, fetchImpl?: FetchLike, gate: GateOptions = {}): Promise<number> {
  assertDistinctSuites(suites)
  // Gate inputs are read before the run, so a bad file costs no requests.
  const baseline = gate.baseline ? loadReportFile(resolve(gate.baseline)) : undefined
  const acceptances = gate.accept ? loadAcceptancesFile(resolve(gate.accept)) : []
  const totals = new Map<string, { done: number; of: number }>()
  let report = await runFromNode(targets, suites, {
    fetch: fetchImpl,
    onEvent: (e) => {
      if (e.type === 'target:start') totals.set(e.target, { done: 0, of: e.cases })
      if (e.type === 'case:result') {
        const t = totals.get(e.target)!
        t.done++
        io.progress?.(`${plain(e.target, 80)}: ${t.done}/${t.of} cases`)
      }
    },
  })
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
 * 1 when a case fails the gate (failed, or warned under --strict; only new ones with a baseline;
 * never accepted ones), else 3 when a case could not be judged (unless --allow-errored), else 0.
 */
function gateExitCode(report: Report, gate: GateOptions, io?: Io): number {
  const failures = gateFailures(report, { strict: gate.strict ?? false, allowErrored: gate.allowErrored ?? false, acceptKnown: gate.acceptKnown })
  const judged = failures.filter((f) => f.case.outcome !== 'errored')
  const accepted = report.targets.flatMap((t) => t.cases).filter((c) => (c.accepted || (gate.acceptKnown && c.known)) && c.outcome === 'failed').length
  if (io && (report.baseline || gate.accept || gate.strict || gate.acceptKnown)) {
    const what = report.baseline ? 'new failures' : 'failures'
    io.out(`\nCI gate: ${judged.length} ${what}${accepted ? `, ${accepted} accepted` : ''}${failures.length - judged.length ? `, ${failures.length - judged.length} errored` : ''}`)
    // Errors shared by many cases of a target (it was unreachable) are one line, with their count.
    for (const row of foldSharedErrors(
      failures,
      (f) => f.case,
      (f) => f.target,
    )) {
      if ('reason' in row) io.out(`  ${plain(`${row.first.target}: errored ×${row.count} — ${row.reason}`)}`)
      else io.out(`  ${plain(`${row.item.target}: ${row.item.case.suite}/${row.item.case.id}`)} (${row.item.case.outcome})`)
    }
  }
  if (judged.length) return EXIT.conformance
  if (failures.length || report.targets.some((t) => t.error && !gate.allowErrored)) return EXIT.runtime
  return EXIT.ok
}

/** Re-renders a saved report in one format, to a file or standard output. */
async function reportCommand({ values, positionals }: Parsed<'report'>, io: Io): Promise<number> {
  if (positionals.length !== 1) throw new UsageError('give exactly one REPORT.json', 'report')
  const format = values.format ?? ''
  if (!Object.hasOwn(RENDERERS, format)) throw new UsageError(`--format must be one of ${Object.keys(RENDERERS).join(', ')}`, 'report')
  const report = loadReportFile(resolve(positionals[0]!))
  const pieces = (await RENDERERS[format as keyof typeof RENDERERS]())(report)
  if (values.output) {
    writePieces(resolve(values.output), pieces)
    io.out(`wrote ${displayPath(resolve(values.output))}`)
  } else io.out([...pieces].join('').replace(/\n$/, ''))
  return EXIT.ok
}

/** Merges saved reports into one comparison: a report of all their targets, with the matrix. */
async function compareCommand({ values, positionals }: Parsed<'compare'>, io: Io): Promise<number> {
  if (positionals.length < 2) throw new UsageError('give at least two REPORT.json files to compare', 'compare')
  const reports = positionals.map((f) => loadReportFile(resolve(f)))
  const merged = mergeReports(reports, crypto.randomUUID().slice(0, 6))
  const dir = await writeReport(merged, values.out ?? 'reports')
  io.out(renderText(merged))
  io.out(`\nComparison of ${merged.targets.length} targets: ${displayPath(join(dir, 'report.html'))}\n        ${displayPath(join(dir, 'matrix.json'))}`)
  return EXIT.ok
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
