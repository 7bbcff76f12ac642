/**
 * Running configured targets inside the Worker: the same engine, suites and reporters as the CLI,
 * within the platform's subrequest limit, storing each report and flagging drift.
 */
import suiteData from '../generated/builtin-suites.json' with { type: 'json' }
import { compareWithBaseline } from '../core/baseline.ts'
import { runPlan, type RunContext } from '../core/engine.ts'
import { InputInvalidError } from '../core/errors.ts'
import { planBundle, type PlannedSuite, type SuiteBundle } from '../core/plan.ts'
import { resolveTarget } from '../core/resolve.ts'
import type { Report } from '../schema/report.ts'
import { TargetSchema, type Target } from '../schema/target.ts'
import type { Env } from './env.ts'
import { addToIndex, loadIndex, loadRun, saveRun } from './store.ts'

/** Cloudflare's paid-plan limit; the free plan allows 50 (set MAX_SUBREQUESTS). */
const DEFAULT_MAX_SUBREQUESTS = 1000

let suitesCache: PlannedSuite[] | undefined
/** The built-in suites, validated once per isolate. */
export function builtinSuites(): PlannedSuite[] {
  return (suitesCache ??= planBundle(suiteData as SuiteBundle))
}

/** The configured targets, validated; a broken configuration is an error naming the field. */
export function configuredTargets(env: Env): Target[] {
  let list: unknown
  try {
    list = JSON.parse(env.GRANTCHECK_TARGETS ?? '[]')
  } catch {
    throw new InputInvalidError('CC_TARGET_INVALID', 'GRANTCHECK_TARGETS', [{ path: '', message: 'is not JSON' }])
  }
  if (!Array.isArray(list)) throw new InputInvalidError('CC_TARGET_INVALID', 'GRANTCHECK_TARGETS', [{ path: '', message: 'must be a JSON array of targets' }])
  return list.map((t, i) => {
    const parsed = TargetSchema.safeParse(t)
    if (!parsed.success)
      throw new InputInvalidError(
        'CC_TARGET_INVALID',
        `GRANTCHECK_TARGETS[${i}]`,
        parsed.error.issues.map((x) => ({ path: x.path.join('.'), message: x.message })),
      )
    return parsed.data
  })
}

/**
 * Requests a run needs at most: one per step that sends one, one DPoP nonce retry per DPoP case,
 * two discovery documents and the JWKS.
 */
export function estimateSubrequests(suites: PlannedSuite[]): number {
  let n = 3
  for (const s of suites)
    for (const c of s.cases) {
      n += c.steps.filter((st) => st.do !== 'inspect').length
      if (c.steps.some((st) => st.request?.dpop)) n++
    }
  return n
}

export class RunRefusedError extends Error {}

/** Runs one configured target and stores the report; marks drift against the previous run. */
export async function runTarget(env: Env, target: Target, suiteIds?: string[], fetchImpl: typeof fetch = fetch): Promise<{ report: Report; newFailures: number }> {
  const all = builtinSuites()
  const suites = suiteIds?.length ? all.filter((s) => suiteIds.includes(s.suite.id)) : all
  if (suiteIds?.length && suites.length !== suiteIds.length)
    throw new RunRefusedError(`unknown suite: ${suiteIds.filter((id) => !all.some((s) => s.suite.id === id)).join(', ')}`)
  const limit = Number(env.MAX_SUBREQUESTS ?? DEFAULT_MAX_SUBREQUESTS)
  const needed = estimateSubrequests(suites)
  if (needed > limit)
    throw new RunRefusedError(
      `this run needs up to ${needed} subrequests and the Worker may make ${limit} (MAX_SUBREQUESTS): run fewer suites per request, e.g. { "suites": ["client-authentication"] }`,
    )
  const resolved = resolveTarget(target, (name) => (typeof env[name] === 'string' ? (env[name] as string) : undefined), `target "${target.name}"`)
  const ctx: RunContext = {
    fetch: fetchImpl,
    now: () => Date.now(),
    randomId: () => crypto.randomUUID().replace(/-/g, ''),
    toolVersion: 'worker',
  }
  let report = await runPlan([resolved], suites, ctx)
  const previous = (await loadIndex(env.REPORTS, target.name))[0]
  const baseline = previous ? await loadRun(env.REPORTS, previous.id) : undefined
  if (baseline) report = compareWithBaseline(report, baseline)
  const newFailures = report.targets[0]!.cases.filter((c) => c.change === 'new-failure').length
  await saveRun(env.REPORTS, report)
  const t = report.targets[0]!
  await addToIndex(env.REPORTS, target.name, { id: report.runId, startedAt: report.startedAt, counts: t.summary.outcomes, newFailures, error: t.error })
  return { report, newFailures }
}

/** The scheduled run: every configured target, one after another; drift goes to the webhook. */
export async function runAllTargets(env: Env, fetchImpl: typeof fetch = fetch): Promise<Array<{ target: string; runId?: string; newFailures: number; error?: string }>> {
  const results: Array<{ target: string; runId?: string; newFailures: number; error?: string }> = []
  for (const target of configuredTargets(env)) {
    try {
      const { report, newFailures } = await runTarget(env, target, undefined, fetchImpl)
      results.push({ target: target.name, runId: report.runId, newFailures })
    } catch (e) {
      const error = e instanceof Error ? e.message : String(e)
      await addToIndex(env.REPORTS, target.name, { id: '', startedAt: new Date().toISOString(), counts: { passed: 0, failed: 0, warning: 0, info: 0, skipped: 0, errored: 0 }, newFailures: 0, error })
      results.push({ target: target.name, newFailures: 0, error })
    }
  }
  const drifted = results.filter((r) => r.newFailures > 0)
  if (drifted.length && env.DRIFT_WEBHOOK_URL) {
    // The webhook comes from configuration, never from a request; its failure must not fail the run.
    await fetchImpl(env.DRIFT_WEBHOOK_URL, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ event: 'grantcheck.drift', targets: drifted.map((d) => ({ target: d.target, runId: d.runId, newFailures: d.newFailures })) }),
      signal: AbortSignal.timeout(5000),
    }).catch(() => undefined)
  }
  return results
}
