/**
 * A Markdown summary for a CI job page: per target the counts and scores, then what needs
 * attention (new failures first when there is a baseline), each with its RFC link.
 *
 * @module
 */
import type { CaseResult, Report } from '../schema/report.ts'
import { percent } from './format.ts'

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\s+/g, ' ')
const ICON: Record<CaseResult['outcome'], string> = { passed: '✅', failed: '❌', warning: '⚠️', info: 'ℹ️', skipped: '⏭️', errored: '💥' }

export function renderMarkdown(report: Report): string {
  const lines = [`## grantcheck: ${report.targets.map((t) => t.name).join(', ')}`, '']
  if (report.baseline) lines.push(`Compared with run \`${report.baseline.runId}\`.`, '')
  lines.push('| target | passed | failed | warning | info | skipped | errored | MUST | SHOULD |', '|---|---|---|---|---|---|---|---|---|')
  for (const t of report.targets) {
    const o = t.summary.outcomes
    lines.push(`| ${cell(t.name)} | ${o.passed} | ${o.failed} | ${o.warning} | ${o.info} | ${o.skipped} | ${o.errored} | ${percent(t.summary.score.MUST)} | ${percent(t.summary.score.SHOULD)} |`)
  }
  for (const t of report.targets) {
    const attention = t.cases.filter((c) => c.outcome === 'failed' || c.outcome === 'errored' || c.outcome === 'warning')
    if (t.error) lines.push('', `**${t.name}** could not be run: ${t.error}`)
    if (!attention.length) continue
    const rank = (c: CaseResult) => (c.change === 'new-failure' ? 0 : c.outcome === 'failed' ? 1 : c.outcome === 'errored' ? 2 : 3)
    lines.push('', `### ${t.name}`, '')
    for (const c of [...attention].sort((a, b) => rank(a) - rank(b))) {
      const r = c.requirements[0]!
      const tags = [c.change && c.change !== 'unchanged' ? `**${c.change}**` : '', c.accepted ? `accepted: ${c.accepted}` : '', c.known ? `known for ${c.known.provider}` : '']
        .filter(Boolean)
        .join(', ')
      lines.push(`- ${ICON[c.outcome]} \`${c.suite}/${c.id}\` ${c.title} ([${r.label}](${r.url}))${tags ? ` — ${tags}` : ''}${c.reason ? `: ${c.reason}` : ''}`)
    }
  }
  const fixed = report.targets.flatMap((t) => t.cases.filter((c) => c.change === 'fixed').map((c) => `\`${t.name}: ${c.suite}/${c.id}\``))
  if (fixed.length) lines.push('', `Fixed since the baseline: ${fixed.join(', ')}.`)
  return `${lines.join('\n')}\n`
}
