/**
 * A Markdown summary for a CI job page: per target the counts and scores, then what needs
 * attention (new failures first when there is a baseline), each with its RFC link.
 *
 * @module
 */
import type { CaseResult, Report } from '../schema/report.ts'
import { findingValue, judgedUnder, percent } from './format.ts'
import { plain } from './plain.ts'

/**
 * Text from a report as Markdown shows it, literally: control characters escaped (plain), HTML
 * written as entities, and Markdown's punctuation backslash-escaped, so a server's error text can
 * neither run HTML in a job summary nor turn into a link.
 */
function mdText(s: string): string {
  return plain(s)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/[\\`*_[\]|~]/g, (ch) => `\\${ch}`)
    .replace(/\s+/g, ' ')
}
const cell = mdText
const ICON: Record<CaseResult['outcome'], string> = { passed: '✅', failed: '❌', warning: '⚠️', info: 'ℹ️', skipped: '⏭️', errored: '💥' }

export function renderMarkdown(report: Report): string {
  const lines = [`## grantcheck: ${report.targets.map((t) => mdText(t.name)).join(', ')}`, '']
  if (report.baseline) lines.push(`Compared with run \`${report.baseline.runId}\`.`, '')
  lines.push('| target | passed | failed | warning | info | skipped | errored | MUST | SHOULD |', '|---|---|---|---|---|---|---|---|---|')
  for (const t of report.targets) {
    const o = t.summary.outcomes
    lines.push(`| ${cell(t.name)} | ${o.passed} | ${o.failed} | ${o.warning} | ${o.info} | ${o.skipped} | ${o.errored} | ${percent(t.summary.score.MUST)} | ${percent(t.summary.score.SHOULD)} |`)
  }
  for (const t of report.targets) {
    const attention = t.cases.filter((c) => c.outcome === 'failed' || c.outcome === 'errored' || c.outcome === 'warning')
    lines.push(
      '',
      `**${mdText(t.name)}** judged under: ${judgedUnder(t)
        .map(([, words, value]) => `${words} ${mdText(value)}`)
        .join('; ')}`,
    )
    if (t.error) lines.push('', `**${mdText(t.name)}** could not be run: ${mdText(t.error)}`)
    if (t.findings?.length) lines.push('', `**${mdText(t.name)}** findings: ${t.findings.map((f) => `${mdText(f.title)}: **${mdText(findingValue(f))}**`).join('; ')}`)
    if (!attention.length) continue
    const rank = (c: CaseResult) => (c.change === 'new-failure' ? 0 : c.outcome === 'failed' ? 1 : c.outcome === 'errored' ? 2 : 3)
    lines.push('', `### ${mdText(t.name)}`, '')
    for (const c of [...attention].sort((a, b) => rank(a) - rank(b))) {
      const r = c.requirements[0]!
      const tags = [c.change && c.change !== 'unchanged' ? `**${c.change}**` : '', c.accepted ? `accepted: ${mdText(c.accepted)}` : '', c.known ? `known for ${mdText(c.known.provider)}` : '']
        .filter(Boolean)
        .join(', ')
      const link = /^https?:\/\//i.test(r.url) ? `([${mdText(r.label)}](${r.url.replace(/[()\s]/g, encodeURIComponent)}))` : `(${mdText(r.label)})`
      lines.push(`- ${ICON[c.outcome]} \`${plain(`${c.suite}/${c.id}`).replace(/`/g, "'")}\` ${mdText(c.title)} ${link}${tags ? ` — ${tags}` : ''}${c.reason ? `: ${mdText(c.reason)}` : ''}`)
    }
  }
  const fixed = report.targets.flatMap((t) => t.cases.filter((c) => c.change === 'fixed').map((c) => `\`${plain(`${t.name}: ${c.suite}/${c.id}`).replace(/`/g, "'")}\``))
  if (fixed.length) lines.push('', `Fixed since the baseline: ${fixed.join(', ')}.`)
  return `${lines.join('\n')}\n`
}
