/**
 * Findings: what a suite concludes about a server from the answers its cases got (schema/suite.ts
 * FindingSchema). A classification names the first rule whose answers all match; a measure is the
 * largest value of a ladder that was still accepted. A case that was skipped or could not send has
 * no answer, and a rule that needs it does not match.
 *
 * @module
 */
import type { CaseResult, TargetResult } from '../schema/report.ts'
import type { Answer, Finding, Suite } from '../schema/suite.ts'

export type FindingResult = NonNullable<TargetResult['findings']>[number]

/** The answer a reference names: `case` (its last request's) or `case#n` (step n, from 1). */
function answerAt(ref: string, cases: ReadonlyMap<string, CaseResult>): Answer | undefined {
  const [id, step] = ref.split('#') as [string, string | undefined]
  const answers = cases.get(id)?.answers
  if (!answers?.length) return undefined
  return step === undefined ? answers.at(-1) : answers[Number(step) - 1]
}

export function evaluateFinding(suite: Suite, f: Finding, results: readonly CaseResult[]): FindingResult {
  const cases = new Map(results.filter((c) => c.suite === suite.id).map((c) => [c.id, c]))
  const base = { suite: suite.id, id: f.id, title: f.title }
  /** Why a case has no answer where one was needed: it was skipped or errored, with its reason. */
  const whyNot = (id: string) => {
    const c = cases.get(id)
    return c?.reason && (c.outcome === 'skipped' || c.outcome === 'errored') ? ` (${c.outcome}: ${c.reason})` : ''
  }
  if (f.measure) {
    const { values, unit } = f.measure
    const answers = cases.get(f.measure.case)?.answers ?? []
    const tried = values.map((v, i) => ({ v, a: answers[i] })).filter((x) => x.a !== undefined)
    if (!tried.length) return { ...base, value: 'not measured', detail: `${f.measure.case} sent no request${whyNot(f.measure.case)}`, requests: 0 }
    const accepted = tried.filter((x) => x.a === 'accepted').map((x) => x.v)
    const refused = tried.filter((x) => x.a === 'refused').map((x) => x.v)
    const requests = tried.length
    const detail = `${requests} request${requests === 1 ? '' : 's'}: ${tried.map((x) => `${x.v} ${unit} ${x.a}`).join(', ')}${tried.length < values.length ? whyNot(f.measure.case) : ''}`
    if (!accepted.length) return { ...base, value: `none accepted (refused from ${Math.min(...refused)} ${unit})`, detail, requests }
    const most = Math.max(...accepted)
    const above = refused.filter((v) => v > most)
    const below = refused.filter((v) => v < most)
    // A server whose answers are not one window (refused at 10 s, accepted at 15 s) is said to be so.
    const uneven = below.length ? `, though refused at ${below.map((v) => `${v} ${unit}`).join(', ')}: the answers are not one window` : ''
    const value = above.length
      ? `${most} ${unit} (refused at ${Math.min(...above)} ${unit})${uneven}`
      : below.length
        ? `at least ${most} ${unit}${uneven}`
        : `at least ${most} ${unit} (every value tried was accepted)`
    return { ...base, value, detail, requests }
  }
  const holds = (conditions: Record<string, Answer> | undefined, all: boolean) => {
    if (!conditions) return true
    const matches = Object.entries(conditions).map(([ref, want]) => answerAt(ref, cases) === want)
    return all ? matches.every(Boolean) : matches.some(Boolean)
  }
  const rule = f.classify!.find((r) => holds(r.when, true) && holds(r.whenAny, false))
  const refs = [...new Set(f.classify!.flatMap((r) => [...Object.keys(r.when ?? {}), ...Object.keys(r.whenAny ?? {})]))]
  const explained = new Set<string>()
  const observed = refs
    .map((ref) => {
      const answer = answerAt(ref, cases)
      if (answer) return `${ref}: ${answer}`
      // The first reference to a case that did not answer says why, once.
      const id = ref.split('#')[0]!
      const why = explained.has(id) ? '' : whyNot(id)
      explained.add(id)
      return `${ref}: not run${why}`
    })
    .join(', ')
  return rule ? { ...base, value: rule.label, detail: `${rule.means} (${observed})` } : { ...base, value: 'unclassified', detail: `no rule matched (${observed})` }
}

/** Every finding of every suite, for one target's results. */
export function evaluateFindings(suites: ReadonlyArray<{ suite: Suite }>, results: readonly CaseResult[]): FindingResult[] {
  return suites.flatMap((s) => (s.suite.findings ?? []).map((f) => evaluateFinding(s.suite, f, results)))
}
