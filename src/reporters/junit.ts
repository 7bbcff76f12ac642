/**
 * JUnit XML for CI test views: one testsuite per target and suite, failed → <failure>,
 * errored → <error>, skipped → <skipped>. Warnings and observations pass, with a note in
 * <system-out>, since JUnit has no such state.
 *
 * @module
 */
import type { CaseResult, Report } from '../schema/report.ts'
import { judgedUnder } from './format.ts'
import { plain } from './plain.ts'

/** Escapes text for XML, dropping characters XML 1.0 cannot carry at all. */
export function xmlEscape(s: string): string {
  return s
    .replace(/[^\t\n\r\x20-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/gu, '\ufffd')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
}

const attrs = (a: Record<string, string | number>) =>
  Object.entries(a)
    .map(([k, v]) => `${k}="${xmlEscape(String(v))}"`)
    .join(' ')

function details(c: CaseResult): string {
  const lines = c.checks
    .filter((k) => k.outcome !== 'passed')
    .map((k) => `${k.outcome.toUpperCase()} ${plain(k.check)} (${k.level}, ${k.requirements.join(' ')}): ${plain(k.message)}\n  expected: ${plain(k.expected)}\n  actual:   ${plain(k.actual)}`)
  const curl = c.exchanges.map((e) => `reproduce (${e.label}): ${plain(e.curl, 4000)}`)
  return [...lines, ...curl].join('\n')
}

export function renderJunit(report: Report): string {
  const suites: string[] = []
  const total = { tests: 0, failures: 0, errors: 0, skipped: 0 }
  for (const t of report.targets) {
    const bySuite = new Map<string, CaseResult[]>()
    for (const c of t.cases) (bySuite.get(c.suite) ?? bySuite.set(c.suite, []).get(c.suite)!).push(c)
    for (const [suite, cases] of bySuite) {
      const count = (o: CaseResult['outcome']) => cases.filter((c) => c.outcome === o).length
      const s = { tests: cases.length, failures: count('failed'), errors: count('errored'), skipped: count('skipped') }
      total.tests += s.tests
      total.failures += s.failures
      total.errors += s.errors
      total.skipped += s.skipped
      const time = (cases.reduce((n, c) => n + c.durationMs, 0) / 1000).toFixed(3)
      const testcases = cases.map((c) => {
        const head = `<testcase ${attrs({ classname: plain(`${t.name}.${suite}`), name: plain(`${c.id}: ${c.title}`), time: (c.durationMs / 1000).toFixed(3) })}`
        // Server text goes through plain: CI systems print these messages in their logs.
        const reason = plain(c.reason ?? c.outcome)
        const accepted = c.accepted ? ` (accepted: ${plain(c.accepted)})` : c.known ? ` (known for ${plain(c.known.provider)}: ${plain(c.known.behaviour)})` : ''
        switch (c.outcome) {
          case 'failed':
            return `${head}>\n      <failure ${attrs({ message: reason + accepted, type: c.level })}>${xmlEscape(details(c))}</failure>\n    </testcase>`
          case 'errored':
            return `${head}>\n      <error ${attrs({ message: reason, type: 'errored' })}>${xmlEscape(details(c))}</error>\n    </testcase>`
          case 'skipped':
            return `${head}>\n      <skipped ${attrs({ message: reason })}/>\n    </testcase>`
          case 'warning':
          case 'info':
            return `${head}>\n      <system-out>${xmlEscape(`${c.outcome}: ${reason}`)}</system-out>\n    </testcase>`
          default:
            return `${head}/>`
        }
      })
      // Which rules judged the target: JUnit's place for facts about a test suite is <properties>.
      const properties = `<properties>${judgedUnder(t)
        .map(([field, , value]) => `<property ${attrs({ name: field, value: plain(value) })}/>`)
        .join('')}</properties>`
      suites.push(
        `  <testsuite ${attrs({ name: plain(`${t.name} / ${suite}`), ...s, time, timestamp: t.startedAt.replace(/Z$/, '') })}>\n    ${properties}\n    ${testcases.join('\n    ')}\n  </testsuite>`,
      )
    }
  }
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites ${attrs({ name: 'grantcheck', ...total })}>\n${suites.join('\n')}\n</testsuites>\n`
}
