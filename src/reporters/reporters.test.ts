import { describe, expect, it } from 'vitest'
import { ReportSchema, type CaseResult, type Report } from '../schema/report.ts'
import { resolveRequirement } from '../schema/requirements.ts'
import { summarize } from '../core/summary.ts'
import { groupBySection, renderHtml } from './html/index.tsx'
import { renderJson } from './json.ts'
import { renderText } from './text.ts'

function caseResult(id: string, outcome: CaseResult['outcome'], over: Partial<CaseResult> = {}): CaseResult {
  return {
    id,
    suite: 'token-response',
    title: `Case ${id}`,
    level: 'MUST',
    requirements: [resolveRequirement('RFC6749-5.1')],
    outcome,
    checks: [],
    exchanges: [],
    durationMs: 3,
    ...over,
  }
}

const hostileBody = '<script>alert(1)</script>{"error":"x"}'
const check = (level: 'MUST' | 'SHOULD', outcome: CaseResult['outcome']) => ({ check: 'token-response.has-access-token', level, outcome, requirements: ['RFC6749-5.1'], expected: 'x', actual: 'y', message: 'z' })
const cases = [
  caseResult('ok', 'passed', { checks: [check('MUST', 'passed')] }),
  caseResult('bad', 'failed', {
    reason: 'a response containing tokens must not be stored',
    checks: [{ check: 'token-response.cache-control-no-store', level: 'MUST', outcome: 'failed', requirements: ['RFC6749-5.1'], expected: 'Cache-Control: no-store', actual: '(absent)', message: 'a response containing tokens must not be stored' }],
    exchanges: [{ label: 'token request', request: { method: 'POST', url: 'https://as.example/token', headers: { Authorization: 'Basic [redacted]' }, body: 'grant_type=client_credentials' }, response: { status: 400, headers: { 'content-type': 'text/html' }, body: hostileBody, bodyBytes: 40, truncated: false }, durationMs: 12, curl: "curl -sS -i 'https://as.example/token'" }],
    accessToken: { header: { alg: 'RS256', typ: 'at+jwt' }, claims: { sub: 'client-1' } },
  }),
  // A MUST case warned by a SHOULD check still holds its MUSTs.
  caseResult('warn', 'warning', { checks: [check('MUST', 'passed'), check('SHOULD', 'warning')] }),
  caseResult('skip', 'skipped', { reason: 'the target has no "post" client' }),
]
const report: Report = {
  format: 'grantcheck-report',
  version: 1,
  tool: { name: 'grantcheck', version: '0.0.0' },
  runId: 'run-1',
  startedAt: '2026-01-01T00:00:00.000Z',
  finishedAt: '2026-01-01T00:00:01.000Z',
  suites: [{ id: 'token-response', title: 'Token response', cases: 4 }],
  targets: [
    { name: 'tenant-a', profile: 'rfc6749', issuer: 'https://as.example', tokenEndpoint: 'https://as.example/token', discovery: {}, clients: {}, startedAt: '', finishedAt: '', durationMs: 1000, requests: 4, cases, summary: summarize(cases) },
  ],
}

describe('summary', () => {
  it('counts outcomes, and scores each level by the cases whose checks of that level all held', () => {
    const s = report.targets[0]!.summary
    expect(s.outcomes).toMatchObject({ passed: 1, failed: 1, warning: 1, skipped: 1 })
    expect(s.score).toEqual({ MUST: 2 / 3, SHOULD: 0 })
    expect(s.byDocument.RFC6749).toMatchObject({ passed: 1, failed: 1 })
  })
})

describe('reporters', () => {
  it('JSON is the report itself and validates against the report schema', () => {
    const parsed = JSON.parse(renderJson(report))
    expect(ReportSchema.parse(parsed)).toEqual(report)
  })

  it('HTML is one self-contained document with counts, failures first and the evidence', () => {
    const html = renderHtml(report)
    expect(html.startsWith('<!doctype html><html lang="en">')).toBe(true)
    expect(html).not.toMatch(/<script|<link|src="http/)
    expect(html).toContain('tenant-a')
    expect(html.indexOf('Case bad')).toBeLessThan(html.indexOf('Case ok'))
    expect(html).toMatch(/<details id="case-token-response-bad" class="case failed" open="">/)
    expect(html).toContain('https://www.rfc-editor.org/rfc/rfc6749.html#section-5.1')
    expect(html).toContain('MUST score <strong>67%</strong>')
    expect(html).toContain('&quot;typ&quot;: &quot;at+jwt&quot;')
  })

  it('HTML groups cases by their first requirement, in section order, and lists what needs attention', () => {
    const grouped = groupBySection([
      caseResult('a', 'passed', { requirements: [resolveRequirement('RFC6749-10.10')] }),
      caseResult('b', 'passed', { requirements: [resolveRequirement('RFC6749-2.3.1')] }),
      caseResult('c', 'failed', { requirements: [resolveRequirement('RFC6749-2.3.1')] }),
      caseResult('d', 'passed', { requirements: [resolveRequirement('RFC6749-A.2')] }),
    ])
    expect(grouped.map((g) => g.requirement.id)).toEqual(['RFC6749-2.3.1', 'RFC6749-10.10', 'RFC6749-A.2'])
    expect(grouped[0]!.cases.map((c) => c.id)).toEqual(['c', 'b'])
    const html = renderHtml(report)
    expect(html).toMatch(/<h3>Needs attention<\/h3>[\s\S]*href="#case-token-response-bad"/)
    expect(html).toContain('id="case-token-response-bad"')
    expect(html).toMatch(/<a href="https:\/\/www.rfc-editor.org\/rfc\/rfc6749.html#section-5.1" rel="noreferrer">RFC 6749 §5.1<\/a>/)
  })

  it('HTML escapes whatever a server sent', () => {
    const html = renderHtml(report)
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;')
  })

  it('text lists what needs attention and the counts', () => {
    const text = renderText(report)
    expect(text).toContain('✗ failed  token-response/bad — a response containing tokens must not be stored')
    expect(text).not.toContain('token-response/ok')
    expect(text).toContain('1 passed, 1 failed, 1 warning, 1 skipped')
    expect(text).toContain('score: MUST 67%, SHOULD 0%')
  })
})
