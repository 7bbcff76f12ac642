/**
 * grantcheck's programmatic API (the package's `exports` entry), for calling it from a team's own
 * vitest or jest suite in Node: load targets and suites, run them, read the report object, render
 * a format, apply the CI gate. It is the CLI's own path (the same loaders, validation and node
 * transport), so a report made here is the report `grantcheck run` makes.
 *
 * Everything else in the package is private and may change between versions.
 *
 * @example
 * ```ts
 * import { loadTarget, loadSuites, run, failures } from 'grantcheck'
 * const report = await run({ targets: [loadTarget('targets/okta.json')], suites: loadSuites(['scope']) })
 * expect(failures(report)).toEqual([])
 * ```
 * @module
 */
import { resolve as resolvePath } from 'node:path'
import { applyAcceptances as applyAcceptanceList, compareWithBaseline, gateFailures, type Acceptance } from './core/baseline.ts'
import { TOOL_VERSION } from './core/builtin.ts'
import type { RunEvent } from './core/engine.ts'
import { assertDistinctSuites, type PlannedSuite } from './core/plan.ts'
import type { ResolvedTarget } from './core/resolve.ts'
import { createReferenceServer } from './reference-server/app.ts'
import { renderHtml } from './reporters/html/index.ts'
import { renderJson } from './reporters/json.ts'
import { renderJunit } from './reporters/junit.ts'
import { renderMarkdown } from './reporters/markdown.ts'
import { buildMatrix } from './reporters/matrix.ts'
import { renderText } from './reporters/text.ts'
import type { CaseResult, Report } from './schema/report.ts'
import { loadReportFile, loadTargetFile, referenceTarget, resolveSuiteArgs, resolveWithProfile, validateTarget } from './node/files.ts'
import { writeReport } from './node/write-report.ts'
import { listen } from './node/serve.ts'
import { duplicateTargetName, runFromNode } from './node/run.ts'

export type { Report, CaseResult, CheckResult, Exchange, Outcome, TargetResult, Summary } from './schema/report.ts'
export type { Acceptance } from './core/baseline.ts'
export type { RunEvent } from './core/engine.ts'
export { ConformanceError, InputInvalidError } from './core/errors.ts'

/** The version of grantcheck, as reports record it. */
export const VERSION: string = TOOL_VERSION

/** A validated target with its secrets read, ready to run (made by {@link loadTarget}). */
export interface LoadedTarget {
  readonly name: string
  /** Its issuer, when the target names one rather than endpoints alone. */
  readonly issuer: string | undefined
}

/** A validated suite, ready to run (made by {@link loadSuites}). */
export interface LoadedSuite {
  readonly id: string
  readonly title: string
  /** Its case ids, in order. */
  readonly cases: readonly string[]
}

// What the engine runs, kept out of the public objects: their shape may change between versions.
const resolvedTargets = new WeakMap<LoadedTarget, ResolvedTarget>()
const plannedSuites = new WeakMap<LoadedSuite, PlannedSuite>()

function publicTarget(resolved: ResolvedTarget): LoadedTarget {
  const t = Object.freeze({ name: resolved.target.name, issuer: resolved.target.issuer })
  resolvedTargets.set(t, resolved)
  return t
}

function publicSuite(planned: PlannedSuite): LoadedSuite {
  const s = Object.freeze({ id: planned.suite.id, title: planned.suite.title, cases: Object.freeze(planned.cases.map((c) => c.case.id)) })
  plannedSuites.set(s, planned)
  return s
}

function internal<P extends object, I>(map: WeakMap<P, I>, value: P, what: string): I {
  const found = map.get(value)
  if (!found) throw new TypeError(`not a loaded ${what}: make it with ${what === 'target' ? 'loadTarget' : 'loadSuites'}()`)
  return found
}

export interface LoadTargetOptions {
  /** Where the `{ "env": "VAR" }` secrets are read from; `process.env` by default. */
  env?: Record<string, string | undefined>
}

/**
 * Loads a target: a target file (JSON, as `grantcheck init` writes) or the same content as an
 * object. It is validated (a template still holding `init` placeholders is refused) and its
 * secrets are read from the environment. Throws {@link InputInvalidError} naming the file and
 * field; nothing is sent before a run.
 */
export function loadTarget(fileOrTarget: string | object, options: LoadTargetOptions = {}): LoadedTarget {
  const env = options.env ?? process.env
  const { target, source } =
    typeof fileOrTarget === 'string'
      ? { target: loadTargetFile(resolvePath(fileOrTarget)), source: resolvePath(fileOrTarget) }
      : { target: validateTarget(fileOrTarget, 'target object'), source: 'target object' }
  return publicTarget(resolveWithProfile(target, env, source))
}

/**
 * Loads suites: built-in suite ids (`scope`, `mtls`, …) or paths to suite files of your own (YAML
 * or JSON). No argument means every built-in suite.
 */
export function loadSuites(idsOrFiles: string[] = []): LoadedSuite[] {
  return resolveSuiteArgs(idsOrFiles).map(publicSuite)
}

export interface RunOptions {
  targets: LoadedTarget[]
  /** Every built-in suite when left out. */
  suites?: LoadedSuite[]
  /** Called as each target starts and each case ends. */
  onEvent?: (event: RunEvent) => void
}

/**
 * Runs the suites against each target over real HTTP (node:http and node:https, with the CLI's
 * transport rules: no redirects followed, bounded sizes and times, credentials only to the
 * target's origins). Resolves with the report; never rejects for a server's behaviour, which is
 * in the report.
 */
export async function run(options: RunOptions): Promise<Report> {
  const targets = options.targets.map((t) => internal(resolvedTargets, t, 'target'))
  const twice = duplicateTargetName(targets)
  if (twice) throw new TypeError(`two targets are named "${twice}": give each target its own name`)
  const suites = (options.suites ?? loadSuites()).map((s) => internal(plannedSuites, s, 'suite'))
  assertDistinctSuites(suites)
  return runFromNode(targets, suites, { onEvent: options.onEvent })
}

/** The formats {@link render} writes. `text` is the console summary, without colours. */
export type Format = 'json' | 'html' | 'junit' | 'md' | 'matrix' | 'text'

/** A report in one format, as `grantcheck report --format` writes it. */
export function render(report: Report, format: Format): string {
  switch (format) {
    case 'json':
      return renderJson(report)
    case 'html':
      return renderHtml(report)
    case 'junit':
      return renderJunit(report)
    case 'md':
      return renderMarkdown(report)
    case 'matrix':
      return `${JSON.stringify(buildMatrix(report), null, 2)}\n`
    case 'text':
      return renderText(report)
  }
}

/** Writes report.json, report.html, junit.xml and summary.md (and matrix.json) into `outDir/<run id>/`; resolves with that folder. */
export function writeReports(report: Report, outDir: string): Promise<string> {
  return writeReport(report, outDir)
}

/** Reads a saved report.json (a baseline), validated. */
export function loadReport(file: string): Report {
  return loadReportFile(resolvePath(file))
}

/** Marks cases as accepted deviations (`{ case: 'suite/id', target: name or '*', reason }`). */
export function acceptDeviations(report: Report, acceptances: Acceptance[]): Report {
  return applyAcceptanceList(report, acceptances)
}

/** Compares with an earlier report: each case gets its change, and only new failures fail the gate. */
export function compareToBaseline(report: Report, baseline: Report, options: { strict?: boolean } = {}): Report {
  return compareWithBaseline(report, baseline, options.strict)
}

export interface GateOptions {
  /** Warnings fail too. */
  strict?: boolean
  /** Cases that could not be judged do not fail. */
  allowErrored?: boolean
  /** Deviations the target's provider profile documents do not fail. */
  acceptKnown?: boolean
}

/**
 * The cases that fail the CI gate, as `grantcheck run` decides its exit code: empty means the run
 * passes. MUST-level failures and errored cases count; with a baseline only new failures do.
 */
export function failures(report: Report, options: GateOptions = {}): Array<{ target: string; case: CaseResult }> {
  return gateFailures(report, { strict: options.strict ?? false, allowErrored: options.allowErrored ?? false, acceptKnown: options.acceptKnown })
}

export interface ReferenceServer {
  /** Its origin, which is also its issuer: `http://127.0.0.1:PORT`. */
  url: string
  /** A target for it, the one `grantcheck demo` runs (its secrets are the server's test secrets). */
  target: LoadedTarget
  close(): Promise<void>
}

/**
 * Starts grantcheck's reference authorization server on a free loopback port: conformant, or with
 * the named defects switched on (`grantcheck fixture --defect` lists them). For trying suites of
 * your own against a server whose behaviour is known.
 */
export async function startReferenceServer(options: { defects?: string[] } = {}): Promise<ReferenceServer> {
  const server = await listen((await createReferenceServer({ defects: options.defects })).fetch)
  return { url: server.url, target: loadTarget({ ...referenceTarget(), issuer: server.url }), close: () => server.close() }
}
