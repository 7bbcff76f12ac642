/**
 * Counting outcomes: per outcome, per level, per document, and a score per level.
 *
 * @module
 */
import { OUTCOMES, type CaseResult, type Outcome, type OutcomeCounts, type Summary } from '../schema/report.ts'
import { requirementDocument } from '../schema/requirements.ts'
import { LEVELS } from '../schema/suite.ts'

export function emptyCounts(): OutcomeCounts {
  return Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>
}

export function summarize(cases: CaseResult[]): Summary {
  const outcomes = emptyCounts()
  const byLevel = Object.fromEntries(LEVELS.map((l) => [l, emptyCounts()])) as Summary['byLevel']
  const byDocument: Summary['byDocument'] = {}
  for (const c of cases) {
    outcomes[c.outcome]++
    byLevel[c.level]![c.outcome]++
    for (const doc of new Set(c.requirements.map((r) => requirementDocument(r.id)))) {
      ;(byDocument[doc] ??= emptyCounts())[c.outcome]++
    }
  }
  const score = (counts: OutcomeCounts): number | null => {
    const judged = counts.passed + counts.failed + counts.warning
    return judged === 0 ? null : counts.passed / judged
  }
  return { total: cases.length, outcomes, byLevel, byDocument, score: { MUST: score(byLevel.MUST!), SHOULD: score(byLevel.SHOULD!) } }
}
