/**
 * A plain-text summary of a report for the console.
 *
 * @module
 */
import { OUTCOMES, type Outcome, type Report } from '../schema/report.ts'
import { foldSharedErrors } from './causes.ts'
import { findingValue, judgedUnder, percent } from './format.ts'
import { plain } from './plain.ts'

export type Paint = (outcome: Outcome, text: string) => string

export const OUTCOME_MARK: Record<Outcome, string> = {
  passed: '✓',
  failed: '✗',
  warning: '!',
  info: 'i',
  skipped: '-',
  errored: 'E',
}

/**
 * The summary: per target, the cases that need attention, the counts and the scores. Every value a
 * server or an input file could have written goes through {@link plain}.
 */
export function renderText(report: Report, paint: Paint = (_o, t) => t): string {
  const lines: string[] = []
  for (const t of report.targets) {
    lines.push('', `Target ${plain(t.name)} — ${plain(t.tokenEndpoint ?? 'no token endpoint')} (${t.cases.length} cases, ${t.requests} requests, ${(t.durationMs / 1000).toFixed(2)} s)`)
    lines.push(
      `  ${judgedUnder(t)
        .map(([, words, value]) => `${words} ${plain(value)}`)
        .join(' · ')}`,
    )
    if (t.error) lines.push(paint('errored', `  could not run: ${plain(t.error)}`))
    else if (t.discovery.error) lines.push(paint('warning', `  ${plain(t.discovery.error)}`))
    // An error many cases share (an unreachable target) is printed once, with its count.
    for (const row of foldSharedErrors(t.cases, (c) => c)) {
      if ('reason' in row) {
        const reason = row.reason === t.error ? 'the reason above' : plain(row.reason)
        lines.push(paint('errored', `  ${OUTCOME_MARK.errored} errored ×${row.count} — ${reason}`))
        continue
      }
      const c = row.item
      if (c.outcome === 'passed') continue
      const detail = c.reason ? ` — ${plain(c.reason)}` : ''
      lines.push(paint(c.outcome, `  ${OUTCOME_MARK[c.outcome]} ${c.outcome.padEnd(7)} ${plain(`${c.suite}/${c.id}`)}${detail}`))
    }
    const counts = OUTCOMES.map((o) => (t.summary.outcomes[o] ? paint(o, `${t.summary.outcomes[o]} ${o}`) : ''))
      .filter(Boolean)
      .join(', ')
    lines.push(`  ${counts}`)
    lines.push(`  score: MUST ${percent(t.summary.score.MUST)}, SHOULD ${percent(t.summary.score.SHOULD)}`)
    for (const f of t.findings ?? []) lines.push(`  ${plain(f.title)}: ${plain(findingValue(f))}`)
  }
  return lines.join('\n')
}
