/**
 * The engine's orchestration: plan → targets → sessions → cases → report.
 *
 * It uses web-platform APIs only and receives all I/O through a {@link RunContext}, so the CLI,
 * the Worker and Deno run it unchanged. A target's session (session.ts), the step interpreter
 * (steps.ts), the verdict rules (verdict.ts) and the evidence records (evidence.ts) are apart.
 *
 * @module
 */
import { REPORT_FORMAT, REPORT_VERSION, type CaseResult, type Report, type TargetResult } from '../schema/report.ts'
import type { FetchLike } from './http.ts'
import type { PlannedCase, PlannedSuite } from './plan.ts'
import type { ResolvedTarget } from './resolve.ts'
import { chooseAudience, type AudienceChoice } from './audience.ts'
import { evaluateFindings } from './findings.ts'
import { openSession } from './session.ts'
import { caseBase, runCase } from './steps.ts'
import { summarize } from './summary.ts'
import { markKnown } from './verdict.ts'
import { bounded, boundCase } from './bounds.ts'

export interface RunContext {
  fetch: FetchLike
  /** Milliseconds since the epoch. */
  now: () => number
  /** A fresh random identifier (jti values, unknown client ids). */
  randomId: () => string
  toolVersion: string
  onEvent?: (event: RunEvent) => void
  /** Waits; injected so that tests of rate limiting need not wait for real. */
  sleep?: (ms: number) => Promise<void>
  /** When given, milliseconds spent per phase are added up here (the benchmark reads them). */
  metrics?: Record<string, number>
}

export type RunEvent = { type: 'target:start'; target: string; cases: number } | { type: 'case:result'; target: string; result: CaseResult } | { type: 'target:result'; result: TargetResult }

/** The client authentication methods that sign a client assertion (RFC 7523 §2.2, OIDC Core §9). */
const SIGNS_ASSERTIONS = new Set(['private_key_jwt', 'client_secret_jwt'])

/** Runs every planned suite against every target; targets run one after another. */
export async function runPlan(targets: ResolvedTarget[], suites: PlannedSuite[], ctx: RunContext): Promise<Report> {
  const startedAt = new Date(ctx.now()).toISOString()
  const results: TargetResult[] = []
  for (const t of targets) results.push(await runTarget(t, suites, ctx).catch((e: unknown) => unfinishedTarget(t, suites, e, ctx)))
  return {
    format: REPORT_FORMAT,
    version: REPORT_VERSION,
    tool: { name: 'grantcheck', version: ctx.toolVersion },
    runId: runIdFor(startedAt, ctx.randomId()),
    startedAt,
    finishedAt: new Date(ctx.now()).toISOString(),
    suites: suites.map((s) => ({ id: s.suite.id, title: s.suite.title, cases: s.cases.length })),
    targets: results,
  }
}

function runIdFor(iso: string, random: string): string {
  return `${iso.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}-${random.slice(0, 6)}`
}

/** Runs all cases against one target. Never throws: a target that cannot run is reported. */
async function runTarget(resolved: ResolvedTarget, suites: PlannedSuite[], ctx: RunContext): Promise<TargetResult> {
  const { target, redactor } = resolved
  const started = ctx.now()
  const cases = suites.flatMap((s) => s.cases)
  ctx.onEvent?.({ type: 'target:start', target: target.name, cases: cases.length })
  const opened = await openSession(resolved, ctx)
  let audience: Promise<AudienceChoice> | undefined
  let results: CaseResult[]
  let requests = opened.requests
  try {
    const s = opened.session
    if (!s) results = cases.map((c) => erroredCase(c, opened.error!))
    else {
      // Chosen once, before the cases when any of them signs a client assertion (a run without
      // one sends no probe): the probes have the target's concurrency to themselves, so a dead
      // token endpoint is seen in one wave and the target's limit holds.
      s.assertionAudience = () => (audience ??= chooseAudience(s))
      if (cases.some((c) => c.needs.some((role) => SIGNS_ASSERTIONS.has(resolved.clients[role]?.authMethod ?? '')))) await s.assertionAudience()
      results = await mapPoolLongestFirst(cases, target.limits.concurrency, requestsOf, async (c) => {
        let r: CaseResult
        try {
          const ran = s.deadline.aborted ? erroredCase(c, `the run deadline (${target.limits.runDeadlineMs} ms) was reached before this case started`) : await runCase(c, s)
          r = markKnown(boundCase(redactor.scrubDeep(ran)), resolved.profile)
        } catch (e) {
          // Whatever a server sent, one case that cannot be finished is that case's error, never the run's.
          r = erroredCase(c, bounded(redactor.scrub(`grantcheck could not finish this case: ${e instanceof Error ? e.message : String(e)}`)))
        }
        ctx.onEvent?.({ type: 'case:result', target: target.name, result: r })
        return r
      })
      requests = s.requests
    }
  } finally {
    opened.close()
  }

  const finished = ctx.now()
  const result: TargetResult = {
    name: target.name,
    profile: target.profile,
    clientAuthProfile: target.clientAuthProfile,
    issuer: target.issuer,
    tokenEndpoint: opened.tokenEndpoint && bounded(opened.tokenEndpoint),
    jwksUri: (opened.jwksUri ?? target.jwksUri) && bounded((opened.jwksUri ?? target.jwksUri)!),
    discovery: opened.discovery,
    clients: Object.fromEntries(Object.values(resolved.clients).map((c) => [c.role, { clientId: c.clientId, authMethod: c.authMethod, secret: c.secretSource }])),
    error: opened.error,
    assertionAudience: audience && (await audience),
    startedAt: new Date(started).toISOString(),
    finishedAt: new Date(finished).toISOString(),
    durationMs: finished - started,
    requests,
    cases: results,
    summary: summarize(results),
    ...(suites.some((x) => x.suite.findings?.length) ? { findings: evaluateFindings(suites, results) } : {}),
  }
  // Scrubbed again as a whole: a token issued in one case may show up in another's response.
  const safe = redactor.scrubDeep(result)
  ctx.onEvent?.({ type: 'target:result', result: safe })
  return safe
}

/** A target whose run broke off: every case errored with why. The report is written all the same. */
function unfinishedTarget(resolved: ResolvedTarget, suites: PlannedSuite[], e: unknown, ctx: RunContext): TargetResult {
  const error = bounded(resolved.redactor.scrub(`grantcheck could not finish this target: ${e instanceof Error ? e.message : String(e)}`))
  const cases = suites.flatMap((s) => s.cases).map((c) => erroredCase(c, error))
  const at = new Date(ctx.now()).toISOString()
  const t = resolved.target
  return {
    name: t.name,
    profile: t.profile,
    clientAuthProfile: t.clientAuthProfile,
    issuer: t.issuer,
    discovery: {},
    clients: {},
    error,
    startedAt: at,
    finishedAt: at,
    durationMs: 0,
    requests: 0,
    cases,
    summary: summarize(cases),
  }
}

function erroredCase(planned: PlannedCase, reason: string): CaseResult {
  return { ...caseBase(planned), outcome: 'errored', reason, durationMs: 0 }
}

/** Maps with at most `limit` calls in flight, keeping the input order in the output. */
export async function mapPool<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length)
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const i = next++
      out[i] = await fn(items[i]!)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  return out
}

/**
 * {@link mapPool}, starting the heaviest items first and returning results in the items' order.
 * A case of several sequential requests started last would run on alone while the other workers
 * idle; started first, it overlaps with the short ones (longest-processing-time-first scheduling).
 */
export async function mapPoolLongestFirst<T, R>(items: T[], limit: number, weight: (item: T) => number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const order = items.map((_, i) => i).sort((a, b) => weight(items[b]!) - weight(items[a]!) || a - b)
  const ran = await mapPool(order, limit, (i) => fn(items[i]!))
  const out = new Array<R>(items.length)
  order.forEach((i, k) => (out[i] = ran[k]!))
  return out
}

/** How many requests a case sends, at least: one per step but the inspections. */
function requestsOf(planned: PlannedCase): number {
  return planned.steps.filter((s) => s.do !== 'inspect').length
}
