/**
 * Comparing a run with a baseline report and applying accepted deviations: what CI needs to fail
 * only on what is new, and never on a provider quirk someone has accepted in writing. And merging
 * saved reports into one, for `grantcheck compare`.
 *
 * @module
 */
import type { CaseResult, Change, Outcome, Report } from '../schema/report.ts'

/** One accepted deviation: a case (on one target, or on all with "*") and the reason it is accepted. */
export interface Acceptance {
  target: string
  case: string
  reason: string
}

export interface GatePolicy {
  /** Warnings count as failures. */
  strict: boolean
  /** Errored cases do not fail the gate. */
  allowErrored: boolean
  /** Failures the target's provider profile documents do not fail the gate. */
  acceptKnown?: boolean
}

const caseKey = (c: Pick<CaseResult, 'suite' | 'id'>) => `${c.suite}/${c.id}`

function failing(outcome: Outcome, strict: boolean): boolean {
  return outcome === 'failed' || (strict && outcome === 'warning')
}

/**
 * Marks every case of `report` with how it changed against `baseline` (matched by target name and
 * suite/case id; a case or target the baseline lacks counts as new).
 */
export function compareWithBaseline(report: Report, baseline: Report, strict = false): Report {
  const before = new Map(baseline.targets.map((t) => [t.name, new Map(t.cases.map((c) => [caseKey(c), c.outcome]))]))
  return {
    ...report,
    baseline: { runId: baseline.runId, startedAt: baseline.startedAt },
    targets: report.targets.map((t) => ({
      ...t,
      cases: t.cases.map((c) => {
        const was = before.get(t.name)?.get(caseKey(c))
        const wasFailing = was !== undefined && failing(was, strict)
        const isFailing = failing(c.outcome, strict)
        const change: Change = isFailing ? (wasFailing ? 'still-failing' : 'new-failure') : wasFailing ? 'fixed' : 'unchanged'
        return { ...c, change }
      }),
    })),
  }
}

/** Marks the cases an accepted-deviations list names, with its reason. */
export function applyAcceptances(report: Report, acceptances: Acceptance[]): Report {
  if (!acceptances.length) return report
  return {
    ...report,
    targets: report.targets.map((t) => ({
      ...t,
      cases: t.cases.map((c) => {
        const a = acceptances.find((x) => (x.target === '*' || x.target === t.name) && x.case === caseKey(c))
        return a ? { ...c, accepted: a.reason } : c
      }),
    })),
  }
}

/** The cases that fail the gate: failing, not accepted, and new when there is a baseline. */
export function gateFailures(report: Report, policy: GatePolicy): Array<{ target: string; case: CaseResult }> {
  const out: Array<{ target: string; case: CaseResult }> = []
  for (const t of report.targets) {
    for (const c of t.cases) {
      if (c.accepted !== undefined || (policy.acceptKnown && c.known)) continue
      const counts = failing(c.outcome, policy.strict) || (c.outcome === 'errored' && !policy.allowErrored)
      if (!counts) continue
      // With a baseline only what is new fails; an errored case is never "known".
      if (report.baseline && c.outcome !== 'errored' && c.change !== 'new-failure') continue
      out.push({ target: t.name, case: c })
    }
  }
  return out
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
    finishedAt: reports
      .map((r) => r.finishedAt)
      .sort()
      .at(-1)!,
    suites: [...suites.values()],
    targets,
    baseline: undefined,
  }
}
