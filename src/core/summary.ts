/**
 * Counting outcomes: per outcome, per level, per document, and a score per level.
 *
 * @module
 */
import { OUTCOMES, type CaseResult, type Outcome, type OutcomeCounts, type Summary } from '../schema/report.ts'
import { requirementDocument } from '../schema/requirements.ts'
import { LEVELS } from '../schema/suite.ts'

function emptyCounts(): OutcomeCounts {
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
  return { total: cases.length, outcomes, byLevel, byDocument, score: { MUST: levelScore(cases, 'MUST'), SHOULD: levelScore(cases, 'SHOULD') } }
}

/**
 * The share of cases whose checks of this level all held, among the cases that judged at least
 * one check of this level. A MUST case warned by one of its SHOULD checks still holds its MUSTs.
 */
function levelScore(cases: CaseResult[], level: 'MUST' | 'SHOULD'): number | null {
  let judged = 0
  let held = 0
  for (const c of cases) {
    const checks = c.checks.filter((k) => k.level === level && (k.outcome === 'passed' || k.outcome === 'failed' || k.outcome === 'warning'))
    if (!checks.length) continue
    judged++
    if (checks.every((k) => k.outcome === 'passed')) held++
  }
  return judged === 0 ? null : held / judged
}
