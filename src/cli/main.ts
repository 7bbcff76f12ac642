#!/usr/bin/env node
/**
 * The grantcheck command line: the Node adapter around the engine. Files, environment, console
 * and exit codes live here and nowhere else.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { ConformanceError, InputInvalidError } from '../core/errors.ts'
import { runPlan, type RunContext } from '../core/engine.ts'
import { assertDistinctSuites, type PlannedSuite } from '../core/plan.ts'
import { resolveTarget, type ResolvedTarget } from '../core/resolve.ts'
import type { Outcome, Report } from '../schema/report.ts'
import { renderHtml } from '../reporters/html/index.tsx'
import { renderJson } from '../reporters/json.ts'
import { renderText } from '../reporters/text.ts'
import { displayPath, loadTargetFile, packageRoot, resolveSuiteArgs } from './files.ts'

export const EXIT = { ok: 0, conformance: 1, usage: 2, runtime: 3 } as const

const USAGE = `grantcheck — conformance tests for the OAuth 2.0 client credentials grant

Usage:
  grantcheck run --target FILE [--target FILE…] [--suite FILE|ID…] [--out DIR]
  grantcheck demo [--defect NAME…] [--out DIR]     run every suite against the embedded reference server
  grantcheck fixture [--port N] [--defect NAME…]   serve the reference server on 127.0.0.1
  grantcheck generate                              regenerate schemas/*.schema.json and docs/requirements.md

Secrets come from the environment variables the target file names ({ "env": "VAR" }).
Exit codes: 0 no MUST failed · 1 conformance failures · 2 usage or config error · 3 runtime error`

export function toolVersion(): string {
  return (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version
}

class UsageError extends Error {}

/** Runs the CLI; returns the exit code instead of exiting, so tests can call it. */
export async function main(argv: string[], io: Io = processIo()): Promise<number> {
  const [command, ...rest] = argv
  try {
    switch (command) {
      case 'run':
        return await runCommand(rest, io)
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
        io.out(toolVersion())
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
    if (e instanceof UsageError || (e instanceof TypeError && (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS'))) {
      io.err(`grantcheck: ${e.message}\n\n${USAGE}`)
      return EXIT.usage
    }
    if (e instanceof InputInvalidError) {
      io.err(`grantcheck: ${e.file}: invalid (${e.code}), nothing was sent:`)
      for (const i of e.issues) io.err(`  ${i.line ? `line ${i.line}: ` : ''}${i.path ? `${i.path}: ` : ''}${i.message}`)
      return EXIT.usage
    }
    const msg = e instanceof ConformanceError ? `${e.code}: ${e.message}` : e instanceof Error ? e.message : String(e)
    io.err(`grantcheck: runtime error: ${msg}`)
    return EXIT.runtime
  }
}

export interface Io {
  out(line: string): void
  err(line: string): void
  progress?(text: string): void
  env: Record<string, string | undefined>
  color: boolean
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

async function runCommand(args: string[], io: Io): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      target: { type: 'string', multiple: true },
      suite: { type: 'string', multiple: true },
      out: { type: 'string' },
    },
    allowPositionals: false,
  })
  if (!values.target?.length) throw new UsageError('--target FILE is required')
  // Everything is loaded and validated before the first request.
  const targets = values.target.map((f) => {
    const file = resolve(f)
    return resolveTarget(loadTargetFile(file), (name) => io.env[name], displayPath(file))
  })
  const suites = resolveSuiteArgs(values.suite ?? [])
  return executeRun(targets, suites, values.out ?? 'reports', io)
}

/** Runs, writes report.json and report.html into a run folder, prints the summary. */
export async function executeRun(targets: ResolvedTarget[], suites: PlannedSuite[], outDir: string, io: Io, fetchImpl: typeof fetch = fetch): Promise<number> {
  assertDistinctSuites(suites)
  const totals = new Map<string, { done: number; of: number }>()
  const ctx: RunContext = {
    fetch: fetchImpl,
    now: () => Date.now(),
    randomId: () => crypto.randomUUID().replace(/-/g, ''),
    toolVersion: toolVersion(),
    onEvent: (e) => {
      if (e.type === 'target:start') totals.set(e.target, { done: 0, of: e.cases })
      if (e.type === 'case:result') {
        const t = totals.get(e.target)!
        t.done++
        io.progress?.(`${e.target}: ${t.done}/${t.of} cases`)
      }
    },
  }
  const report = await runPlan(targets, suites, ctx)
  io.progress?.('')
  const dir = writeReport(report, outDir)
  io.out(renderText(report, io.color ? paint : undefined))
  io.out(`\nReport: ${displayPath(join(dir, 'report.html'))}\n        ${displayPath(join(dir, 'report.json'))}`)
  return exitCodeFor(report)
}

export function writeReport(report: Report, outDir: string): string {
  const dir = resolve(outDir, report.runId)
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, 'report.json'), renderJson(report))
  writeFileSync(join(dir, 'report.html'), renderHtml(report))
  return dir
}

/** 1 when any case failed, else 3 when any could not be judged, else 0. */
export function exitCodeFor(report: Report): number {
  const all = report.targets.flatMap((t) => t.cases)
  if (all.some((c) => c.outcome === 'failed')) return EXIT.conformance
  if (report.targets.some((t) => t.error) || all.some((c) => c.outcome === 'errored')) return EXIT.runtime
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
      process.stderr.write(`grantcheck: internal error: ${e instanceof Error ? e.message : String(e)}\n`)
      process.exitCode = EXIT.runtime
    },
  )
}
