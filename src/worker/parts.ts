/**
 * Splitting a run into parts that each fit one invocation's subrequest budget, and putting the
 * parts' reports back together as one report. Pure: no bindings, no clock.
 */
import type { PlannedCase, PlannedSuite } from '../core/plan.ts'
import { summarize } from '../core/summary.ts'
import type { Report, TargetResult } from '../schema/report.ts'

const caseKeyOf = (s: PlannedSuite, c: PlannedCase) => `${s.suite.id}/${c.case.id}`

/** Requests a case may send: one per step that sends one, and one retry with a DPoP nonce. */
export function requestsOf(c: PlannedCase): number {
  return c.steps.filter((st) => st.do !== 'inspect').length + (c.steps.some((st) => st.request?.dpop) ? 1 : 0)
}

/** What every part sends again before its cases: the two well-known documents and the JWKS. */
export const DISCOVERY_REQUESTS = 3
/**
 * Binding calls a part makes besides the tenant's requests: the gate (acquire, release), the
 * part's report to R2, its results and progress to D1 (two calls), the queue (finalize), the
 * invocation record, the targets read from D1 (once per isolate and 10 s), and one to spare.
 */
export const PART_OVERHEAD = 9

/** Subrequests a run of these cases needs in one invocation, all included. */
export function subrequestsFor(cases: PlannedCase[]): number {
  return DISCOVERY_REQUESTS + PART_OVERHEAD + cases.reduce((n, c) => n + requestsOf(c), 0)
}

/**
 * Cases in plan order, cut into parts of at most `budget` subrequests each (discovery and
 * overhead included). A case too big for any part is refused rather than silently dropped.
 */
export function splitIntoParts(suites: PlannedSuite[], budget: number): string[][] {
  const room = budget - DISCOVERY_REQUESTS - PART_OVERHEAD
  const parts: string[][] = []
  let current: string[] = []
  let used = 0
  for (const s of suites)
    for (const c of s.cases) {
      const n = requestsOf(c)
      if (n > room) throw new RangeError(`${caseKeyOf(s, c)} needs ${n + DISCOVERY_REQUESTS + PART_OVERHEAD} subrequests; the budget (MAX_SUBREQUESTS) is ${budget}`)
      if (used + n > room && current.length) {
        parts.push(current)
        current = []
        used = 0
      }
      current.push(caseKeyOf(s, c))
      used += n
    }
  if (current.length) parts.push(current)
  return parts
}

/** The suites cut down to the named cases (suites left without a case are dropped). */
export function selectCases(suites: PlannedSuite[], keys: ReadonlySet<string>): PlannedSuite[] {
  return suites.map((s) => ({ ...s, cases: s.cases.filter((c) => keys.has(caseKeyOf(s, c))) })).filter((s) => s.cases.length)
}

/**
 * One report from the parts' reports of a run, cases in `order`. Times span the parts; requests
 * and durations add up. The target counts as not run (`error`) only when no part could run it.
 */
export function mergeParts(runId: string, parts: Report[], order: readonly string[]): Report {
  const first = parts[0]
  if (!first) throw new RangeError('a run has at least one part')
  const targets = parts.map((p) => p.targets[0]!)
  const rank = new Map(order.map((k, i) => [k, i]))
  const cases = targets.flatMap((t) => t.cases).sort((a, b) => (rank.get(`${a.suite}/${a.id}`) ?? 0) - (rank.get(`${b.suite}/${b.id}`) ?? 0))
  const earliest = (xs: string[]) => [...xs].sort()[0]!
  const latest = (xs: string[]) => [...xs].sort().at(-1)!
  const withDiscovery = targets.find((t) => t.discovery.url) ?? targets[0]!
  const target: TargetResult = {
    ...withDiscovery,
    error: targets.every((t) => t.error) ? targets[0]!.error : undefined,
    startedAt: earliest(targets.map((t) => t.startedAt)),
    finishedAt: latest(targets.map((t) => t.finishedAt)),
    durationMs: targets.reduce((n, t) => n + t.durationMs, 0),
    requests: targets.reduce((n, t) => n + t.requests, 0),
    cases,
    summary: summarize(cases),
  }
  const suites = new Map<string, Report['suites'][number]>()
  for (const p of parts) for (const s of p.suites) suites.set(s.id, { ...s, cases: (suites.get(s.id)?.cases ?? 0) + s.cases })
  return {
    ...first,
    runId,
    startedAt: earliest(parts.map((p) => p.startedAt)),
    finishedAt: latest(parts.map((p) => p.finishedAt)),
    suites: [...suites.values()],
    targets: [target],
  }
}
