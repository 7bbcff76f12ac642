/**
 * Reading target and suite files from disk, with errors that name the file, the line and the
 * field path.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { LineCounter, parseDocument, isNode, type Document } from 'yaml'
import { builtinProfiles, profileFor } from '../core/builtin.ts'
import { InputInvalidError, formatPath } from '../core/errors.ts'
import { planSuite, type PlannedSuite } from '../core/plan.ts'
import { planGroupLibrary, type GroupLibrary } from '../core/groups.ts'
import { AcceptancesSchema } from '../schema/acceptances.ts'
import { ProfileSchema, type Profile } from '../schema/profile.ts'
import { ReportSchema, type Report } from '../schema/report.ts'
import { TargetSchema, type Target, type TargetInput } from '../schema/target.ts'
import type { Acceptance } from '../core/baseline.ts'
import { resolveTarget, type ResolvedTarget } from '../core/resolve.ts'
import { placeholderIssues } from './placeholders.ts'

/** The package root (where package.json, suites/ and fixtures/ are), from src/ or dist/. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  while (!existsSync(join(dir, 'package.json')) || !existsSync(join(dir, 'suites'))) {
    const up = dirname(dir)
    if (up === dir) throw new Error('cannot find the grantcheck package root')
    dir = up
  }
  return dir
}

/** The target of the reference server's registered clients, relative to the package root. */
export const REFERENCE_TARGET = 'src/reference-server/reference-target.json'

/** The reference target, read from the package root (this module also runs bundled into dist/). */
export function referenceTarget(): TargetInput {
  return JSON.parse(readFileSync(join(packageRoot(), REFERENCE_TARGET), 'utf8')) as TargetInput
}

/** A path for messages: relative to the working directory when that is shorter. */
export function displayPath(file: string): string {
  const rel = relative(process.cwd(), file)
  return rel && !rel.startsWith('..') && rel.length < file.length ? rel : file
}

function readText(file: string, code: 'CC_TARGET_INVALID' | 'CC_SUITE_INVALID' | 'CC_REPORT_INVALID'): string {
  try {
    return readFileSync(file, 'utf8')
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (e as Error).message
    throw new InputInvalidError(code, displayPath(file), [{ path: '', message: reason }])
  }
}

/** Parses YAML (or JSON, its subset) keeping positions, so that a field path maps to a line. */
function parseWithLines(text: string, file: string, code: 'CC_TARGET_INVALID' | 'CC_SUITE_INVALID') {
  const lineCounter = new LineCounter()
  const doc = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true })
  if (doc.errors.length) {
    throw new InputInvalidError(
      code,
      displayPath(file),
      doc.errors.map((e) => ({
        path: '',
        message: `YAML: ${e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`,
        line: e.linePos?.[0]?.line,
      })),
    )
  }
  const locate = (path: PropertyKey[]): number | undefined => lineOf(doc, lineCounter, path)
  return { doc, locate }
}

/** Failed schema validation as an error naming the file, and each field path with its line. */
function schemaError(
  code: 'CC_TARGET_INVALID' | 'CC_SUITE_INVALID',
  file: string,
  issues: ReadonlyArray<{ path: PropertyKey[]; message: string }>,
  locate: (path: PropertyKey[]) => number | undefined,
): InputInvalidError {
  return new InputInvalidError(
    code,
    displayPath(file),
    issues.map((i) => ({ path: formatPath(i.path), message: i.message, line: locate(i.path) })),
  )
}

function lineOf(doc: Document, lc: LineCounter, path: PropertyKey[]): number | undefined {
  // The deepest node that exists along the path: a missing field points at its parent.
  for (let n = path.length; n >= 0; n--) {
    const node = doc.getIn(path.slice(0, n) as Array<string | number>, true)
    if (isNode(node) && node.range) return lc.linePos(node.range[0]).line
  }
  return undefined
}

/** Parses a JSON file's text; a syntax error names the file and, where JSON.parse says, the line. */
function parseJson(text: string, file: string, code: 'CC_TARGET_INVALID' | 'CC_REPORT_INVALID', problem: string): unknown {
  try {
    return JSON.parse(text)
  } catch (e) {
    const pos = /position (\d+)/.exec((e as Error).message)
    const line = pos ? text.slice(0, Number(pos[1])).split('\n').length : undefined
    throw new InputInvalidError(code, displayPath(file), [{ path: '', message: `${problem}: ${(e as Error).message}`, line }])
  }
}

/**
 * Loads and validates a target file (JSON), refusing one that still holds a placeholder of
 * `grantcheck init` (which the schema accepts, since a template must validate as it is). Nothing
 * is sent if this throws.
 */
export function loadTargetFile(file: string): Target {
  const text = readText(file, 'CC_TARGET_INVALID')
  return validateTarget(parseJson(text, file, 'CC_TARGET_INVALID', 'not valid JSON'), file, () => parseWithLines(text, file, 'CC_TARGET_INVALID').locate)
}

/**
 * Validates a target's content from `source` (a file, or an object given to the API), refusing
 * one that still holds an `init` placeholder. The lines of its issues are found only when there
 * are issues, with `locator`.
 */
export function validateTarget(data: unknown, source: string, locator?: () => (path: PropertyKey[]) => number | undefined): Target {
  const parsed = TargetSchema.safeParse(data)
  const issues = parsed.success ? placeholderIssues(parsed.data, builtinProfiles()) : parsed.error.issues
  if (parsed.success && !issues.length) return parsed.data
  throw schemaError('CC_TARGET_INVALID', source, issues, locator?.() ?? (() => undefined))
}

/** A validated target with its secrets read from `env`, and the built-in provider profile it names. */
export function resolveWithProfile(target: Target, env: Record<string, string | undefined>, source: string): ResolvedTarget {
  return { ...resolveTarget(target, (name) => env[name], displayPath(source)), profile: profileForTarget(target, source) }
}

/** Loads and validates a suite file (YAML or JSON), with the built-in expectation groups. */
export function loadSuiteFile(file: string): PlannedSuite {
  const text = readText(file, 'CC_SUITE_INVALID')
  const { doc, locate } = parseWithLines(text, file, 'CC_SUITE_INVALID')
  return planSuite(doc.toJS(), displayPath(file), locate, builtinGroups())
}

let groupsCache: GroupLibrary | undefined
/** The expectation groups every suite may use (suites/_groups.yaml), validated once. */
export function builtinGroups(): GroupLibrary {
  if (groupsCache) return groupsCache
  const file = join(packageRoot(), 'suites', '_groups.yaml')
  const { doc, locate } = parseWithLines(readText(file, 'CC_SUITE_INVALID'), file, 'CC_SUITE_INVALID')
  return (groupsCache = planGroupLibrary(doc.toJS(), displayPath(file), locate))
}

/** The built-in suite files, in a stable order (files starting with "_" are not suites). */
export function builtinSuiteFiles(): string[] {
  const dir = join(packageRoot(), 'suites')
  return readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f) && !f.startsWith('_'))
    .sort()
    .map((f) => join(dir, f))
}

/**
 * Resolves `--suite` arguments: a path to a file, or the id of a built-in suite. No argument
 * means every built-in suite.
 */
export function resolveSuiteArgs(args: string[]): PlannedSuite[] {
  const builtins = builtinSuiteFiles()
  if (!args.length) return builtins.map(loadSuiteFile)
  return args.map((arg) => {
    if (/\.(ya?ml|json)$/.test(arg) || arg.includes('/')) return loadSuiteFile(resolve(arg))
    const file = builtins.find((f) => f.endsWith(`/${arg}.yaml`) || f.endsWith(`/${arg}.yml`))
    if (!file)
      throw new InputInvalidError('CC_SUITE_INVALID', arg, [{ path: '', message: `no built-in suite with this id; built-in: ${builtins.map((f) => f.replace(/^.*\/|\.ya?ml$/g, '')).join(', ')}` }])
    return loadSuiteFile(file)
  })
}

/** Loads a saved report.json, validated against the report schema. */
export function loadReportFile(file: string): Report {
  const text = readText(file, 'CC_REPORT_INVALID')
  const parsed = ReportSchema.safeParse(parseJson(text, file, 'CC_REPORT_INVALID', 'not a report'))
  if (!parsed.success)
    throw new InputInvalidError(
      'CC_REPORT_INVALID',
      displayPath(file),
      parsed.error.issues.slice(0, 5).map((i) => ({ path: formatPath(i.path), message: `not a grantcheck report: ${i.message}` })),
    )
  return parsed.data
}

/** Loads an accepted-deviations file (YAML or JSON): a list of { case, target, reason }. */
export function loadAcceptancesFile(file: string): Acceptance[] {
  const text = readText(file, 'CC_SUITE_INVALID')
  const { doc, locate } = parseWithLines(text, file, 'CC_SUITE_INVALID')
  const parsed = AcceptancesSchema.safeParse(doc.toJS() ?? [])
  if (!parsed.success) throw schemaError('CC_SUITE_INVALID', file, parsed.error.issues, locate)
  return parsed.data
}

/**
 * Every provider profile file in profiles/, by id. The product reads the built-in profiles from
 * src/core/builtin.ts, as the Worker and Deno do; these and loadProfileFile are for validating
 * the sources with line numbers (the tests).
 */
export function profileFiles(): Map<string, string> {
  const dir = join(packageRoot(), 'profiles')
  return new Map(
    readdirSync(dir)
      .filter((f) => f.endsWith('.yaml'))
      .sort()
      .map((f) => [f.replace(/\.yaml$/, ''), join(dir, f)]),
  )
}

/** Loads and validates a profile file. */
export function loadProfileFile(file: string): Profile {
  const text = readText(file, 'CC_TARGET_INVALID')
  const { doc, locate } = parseWithLines(text, file, 'CC_TARGET_INVALID')
  const parsed = ProfileSchema.safeParse(doc.toJS())
  if (!parsed.success) throw schemaError('CC_TARGET_INVALID', file, parsed.error.issues, locate)
  return parsed.data
}

/** The built-in profile a target names; an unknown name is a config error on the target file's "profile" field. */
export function profileForTarget(target: Target, targetFile: string): Profile | undefined {
  return profileFor(target, displayPath(targetFile))
}
