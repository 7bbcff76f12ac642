/**
 * OpenMetrics text for a scraper (behind authentication), and a status badge. Both read the same
 * views as the dashboard.
 */
import type { TargetView } from './pages.tsx'
import { statusOf } from './pages.tsx'

/** A label value as OpenMetrics writes it: backslash, quote and line feed escaped. */
const label = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')

export function openMetrics(views: TargetView[], problems: number): string {
  const lines: string[] = []
  const family = (name: string, type: string, help: string, samples: string[]) => lines.push(`# TYPE ${name} ${type}`, `# HELP ${name} ${help}`, ...samples)
  family(
    'grantcheck_target_up',
    'gauge',
    'Whether the last run judged anything (0 while every case errors).',
    views.filter((v) => v.state).map((v) => `grantcheck_target_up{target="${label(v.monitor.target.name)}"} ${v.state!.state === 'up' ? 1 : 0}`),
  )
  family(
    'grantcheck_cases',
    'gauge',
    'Cases per state: passing, suspect (failed, being confirmed) and failing.',
    views.flatMap((v) =>
      (['passing', 'suspect', 'failing'] as const).map((s) => `grantcheck_cases{target="${label(v.monitor.target.name)}",state="${s}"} ${[...v.cases.values()].filter((c) => c.state === s).length}`),
    ),
  )
  const last = views.map((v) => ({ v, run: v.latest })).filter((x) => x.run)
  family(
    'grantcheck_last_run_timestamp_seconds',
    'gauge',
    'When the last finished run ended.',
    last.map(({ v, run }) => `grantcheck_last_run_timestamp_seconds{target="${label(v.monitor.target.name)}"} ${Math.floor(Date.parse(run!.finishedAt!) / 1000)}`),
  )
  family(
    'grantcheck_last_run_duration_seconds',
    'gauge',
    'How long the last finished run took (its parts added up).',
    last.map(({ v, run }) => `grantcheck_last_run_duration_seconds{target="${label(v.monitor.target.name)}"} ${(run!.durationMs / 1000).toFixed(3)}`),
  )
  family(
    'grantcheck_last_run_cases',
    'gauge',
    'Outcomes of the cases of the last finished run.',
    last.flatMap(({ v, run }) => Object.entries(run!.counts).map(([o, n]) => `grantcheck_last_run_cases{target="${label(v.monitor.target.name)}",outcome="${o}"} ${n}`)),
  )
  family(
    'grantcheck_target_overdue',
    'gauge',
    'Whether no run of the target finished within twice its schedule (1: monitoring stopped).',
    views.map((v) => `grantcheck_target_overdue{target="${label(v.monitor.target.name)}"} ${v.overdue ? 1 : 0}`),
  )
  family('grantcheck_config_problems', 'gauge', 'Entries of GRANTCHECK_TARGETS that do not validate.', [`grantcheck_config_problems ${problems}`])
  return `${lines.join('\n')}\n# EOF\n`
}

const BADGE_COLOURS: Record<string, string> = { 'state-up': '#116329', 'state-failing': '#a40e26', 'state-down': '#a40e26', 'state-suspect': '#7a5a00', 'state-unknown': '#57606a' }

/** A small SVG badge: "grantcheck | passing". Text is escaped; widths follow the text's length. */
export function badge(view: TargetView | undefined): string {
  const s = view ? statusOf(view) : { label: 'unknown target', cls: 'state-unknown' }
  const esc = (t: string) => t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
  const left = 'grantcheck'
  const lw = 8 + left.length * 7
  const rw = 10 + s.label.length * 7
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${lw + rw}" height="20" role="img" aria-label="${esc(`${left}: ${s.label}`)}"><title>${esc(`${left}: ${s.label}`)}</title><rect width="${lw}" height="20" fill="#24292f"/><rect x="${lw}" width="${rw}" height="20" fill="${BADGE_COLOURS[s.cls]}"/><g fill="#fff" font-family="Verdana,DejaVu Sans,sans-serif" font-size="11"><text x="5" y="14">${left}</text><text x="${lw + 5}" y="14">${esc(s.label)}</text></g></svg>`
}
