import { describe, expect, it } from 'vitest'
import { ReportSchema, type CaseResult, type Report } from '../schema/report.ts'
import { resolveRequirement } from '../schema/requirements.ts'
import { summarize } from '../core/summary.ts'
import { applyAcceptances, compareWithBaseline, gateFailures } from '../core/baseline.ts'
import { groupBySection, renderHtml, renderHtmlParts } from './html/index.ts'
import { renderJunit, xmlEscape } from './junit.ts'
import { renderMarkdown } from './markdown.ts'
import { buildMatrix } from './matrix.ts'
import { renderJson, renderJsonParts } from './json.ts'
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
const check = (level: 'MUST' | 'SHOULD', outcome: CaseResult['outcome']) => ({
  check: 'token-response.has-access-token',
  level,
  outcome,
  requirements: ['RFC6749-5.1'],
  expected: 'x',
  actual: 'y',
  message: 'z',
})
const cases = [
  caseResult('ok', 'passed', { checks: [check('MUST', 'passed')] }),
  caseResult('bad', 'failed', {
    reason: 'a response containing tokens must not be stored',
    checks: [
      {
        check: 'token-response.cache-control-no-store',
        level: 'MUST',
        outcome: 'failed',
        requirements: ['RFC6749-5.1'],
        expected: 'Cache-Control: no-store',
        actual: '(absent)',
        message: 'a response containing tokens must not be stored',
      },
    ],
    exchanges: [
      {
        label: 'token request',
        request: { method: 'POST', url: 'https://as.example/token', headers: [['Authorization', 'Basic [redacted]']], body: 'grant_type=client_credentials' },
        response: { status: 400, headers: [['content-type', 'text/html']], body: hostileBody, bodyBytes: 40, truncated: false },
        durationMs: 12,
        curl: "curl -sS -i 'https://as.example/token'",
      },
    ],
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
    {
      name: 'tenant-a',
      profile: 'rfc6749',
      issuer: 'https://as.example',
      tokenEndpoint: 'https://as.example/token',
      discovery: {},
      clients: {},
      startedAt: '',
      finishedAt: '',
      durationMs: 1000,
      requests: 4,
      cases,
      summary: summarize(cases),
    },
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

  it('JSON in pieces is exactly what JSON.stringify writes, and no piece is more than about a case', () => {
    const many = { ...report, targets: Array.from({ length: 6 }, (_, i) => ({ ...report.targets[0]!, name: `t${i}` })) }
    const odd = {
      ...report,
      targets: [],
      // Members after the targets, left-out values, empty containers, a value with toJSON, nesting.
      baseline: { runId: 'r0', startedAt: '2025', note: undefined },
      extra: { list: [1, undefined, () => 1, 'a\nb'], empty: {}, none: [], at: new Date(0), nested: [[{ deep: [[]] }]] },
    } as unknown as Report
    for (const r of [report, many, odd]) expect([...renderJsonParts(r)].join('')).toBe(`${JSON.stringify(r, null, 2)}\n`)
    const biggestCase = Math.max(...many.targets[0]!.cases.map((c) => JSON.stringify(c, null, 2).length))
    const pieces = [...renderJsonParts(many)]
    expect(pieces.length).toBeGreaterThan(many.targets.length * cases.length)
    // Indentation adds a few spaces per line to a case written at its depth.
    for (const p of pieces) expect(p.length).toBeLessThan(biggestCase * 1.5)
  })

  it('HTML in pieces of about a case each', () => {
    const many = { ...report, targets: Array.from({ length: 6 }, (_, i) => ({ ...report.targets[0]!, name: `t${i}` })) }
    const pieces = [...renderHtmlParts(many)]
    expect(pieces.join('')).toBe(renderHtml(many))
    const document = pieces.join('')
    // The first piece carries the stylesheet and the matrix; after it, none holds a whole target.
    for (const p of pieces.slice(1)) expect(p.length).toBeLessThan(document.length / many.targets.length / 2)
  })

  it('HTML is one self-contained document with counts, failures first and the evidence', () => {
    const html = renderHtml(report)
    expect(html.startsWith('<!doctype html><html lang="en">')).toBe(true)
    // Self-contained: one inline script, no external script, stylesheet, image or font.
    expect(html).not.toMatch(/<link|\ssrc=|@import|url\(/)
    expect(html.match(/<script>/g)).toHaveLength(1)
    expect(html).toContain('tenant-a')
    expect(html.indexOf('Case bad')).toBeLessThan(html.indexOf('Case ok'))
    expect(html).toMatch(/<details id="t0-token-response-bad" class="case failed" open="">/)
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
      caseResult('e', 'passed', { requirements: [resolveRequirement('draft-ietf-oauth-rfc7523bis-11-4.1')] }),
      caseResult('f', 'passed', { requirements: [resolveRequirement('OIDC-CORE-9')] }),
      caseResult('g', 'passed', { requirements: [resolveRequirement('draft-ietf-oauth-rfc7523bis-11-10')] }),
    ])
    expect(grouped.map((g) => g.requirement.id)).toEqual(['RFC6749-2.3.1', 'RFC6749-10.10', 'RFC6749-A.2', 'OIDC-CORE-9', 'draft-ietf-oauth-rfc7523bis-11-4.1', 'draft-ietf-oauth-rfc7523bis-11-10'])
    expect(grouped[0]!.cases.map((c) => c.id)).toEqual(['c', 'b'])
    const html = renderHtml(report)
    expect(html).toMatch(/<h3>Needs attention<\/h3>[\s\S]*href="#t0-token-response-bad"/)
    expect(html).toContain('id="t0-token-response-bad"')
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

describe('formats for CI and comparison', async () => {
  const { XMLParser, XMLValidator } = await import('fast-xml-parser')
  const second = { ...report.targets[0]!, name: 'tenant-b', cases: cases.map((c) => (c.id === 'bad' ? { ...c, outcome: 'passed' as const, checks: [], reason: undefined } : c)) }
  const two: Report = { ...report, targets: [report.targets[0]!, { ...second, summary: summarize(second.cases) }] }

  it('JUnit is well-formed and has the common schema shape: one testsuite per target and suite', () => {
    const xml = renderJunit(two)
    expect(XMLValidator.validate(xml)).toBe(true)
    const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', isArray: (name) => ['testsuite', 'testcase'].includes(name) }).parse(xml)
    const suites = doc.testsuites.testsuite
    expect(doc.testsuites).toMatchObject({ name: 'grantcheck', tests: '8', failures: '1', errors: '0', skipped: '2' })
    expect(suites.map((s: { name: string }) => s.name)).toEqual(['tenant-a / token-response', 'tenant-b / token-response'])
    for (const suite of suites) {
      for (const k of ['name', 'tests', 'failures', 'errors', 'skipped', 'time', 'timestamp']) expect(suite[k], k).toBeDefined()
      for (const tc of suite.testcase) expect(tc.classname && tc.name && tc.time).toBeTruthy()
    }
    const bad = suites[0].testcase.find((t: { name: string }) => t.name.startsWith('bad:'))
    expect(bad.failure.message).toBe('a response containing tokens must not be stored')
    expect(bad.failure['#text']).toContain('reproduce (token request): curl')
    expect(suites[0].testcase.find((t: { name: string }) => t.name.startsWith('skip:')).skipped.message).toContain('post')
  })

  it('JUnit escapes markup and drops characters XML cannot carry', () => {
    expect(xmlEscape('a<b>&"c"\u0001')).toBe('a&lt;b&gt;&amp;&quot;c&quot;\ufffd')
  })

  it('the matrix has a row per case, a cell per target, and marks where they differ', () => {
    const m = buildMatrix(two)
    expect(m.targets).toEqual(['tenant-a', 'tenant-b'])
    const bad = m.rows.find((r) => r.case === 'token-response/bad')!
    expect(bad.cells.map((c) => c.outcome)).toEqual(['failed', 'passed'])
    expect(bad.differ).toBe(true)
    expect(bad.cells[1]!.anchor).toBe('t1-token-response-bad')
    expect(m.rows.filter((r) => r.differ).map((r) => r.case)).toEqual(['token-response/bad'])
    const html = renderHtml(two)
    expect(html).toContain('Only the 1 cases where the targets differ')
    expect(html).toMatch(/<td class="failed"><a href="#t0-token-response-bad"/)
  })

  it('every format says what each target was judged under: profile, client authentication profile, assertion audience; and the findings with their requests', () => {
    const judged: Report = {
      ...report,
      targets: [
        {
          ...report.targets[0]!,
          clientAuthProfile: 'rfc7523bis',
          assertionAudience: { value: 'https://as.example', source: 'probe', tried: [{ aud: 'https://as.example', accepted: true, status: 200 }] },
          findings: [{ suite: 'client-assertion', id: 'iat-ahead', title: 'Assertion iat ahead, accepted up to', value: '60 s (refused at 90 s)', detail: '8 requests: 5 s accepted, …', requests: 8 }],
        },
      ],
    }
    expect(JSON.parse(renderJson(judged)).targets[0]).toMatchObject({ profile: 'rfc6749', clientAuthProfile: 'rfc7523bis', assertionAudience: { value: 'https://as.example' } })
    const html = renderHtml(judged)
    expect(html).toMatch(/<dt>Profile<\/dt><dd>rfc6749<\/dd><dt>Client authentication profile<\/dt><dd>rfc7523bis<\/dd><dt>Assertion audience<\/dt><dd><code>&quot;https:\/\/as.example&quot;<\/code>/)
    expect(html).toContain('<strong>60 s (refused at 90 s)</strong> <span class="hint">— 8 requests: 5 s accepted, …</span>')
    const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', isArray: (name) => ['testsuite', 'property'].includes(name) }).parse(renderJunit(judged))
    expect(doc.testsuites.testsuite[0].properties.property).toEqual([
      { name: 'profile', value: 'rfc6749' },
      { name: 'clientAuthProfile', value: 'rfc7523bis' },
      { name: 'assertionAudience', value: '"https://as.example" (probed)' },
    ])
    const md = renderMarkdown(judged)
    expect(md).toContain('**tenant-a** judged under: profile rfc6749; client authentication profile rfc7523bis; assertion audience "https://as.example" (probed)')
    expect(md).toContain('Assertion iat ahead, accepted up to: **60 s (refused at 90 s) \\[8 requests\\]**')
    const text = renderText(judged)
    expect(text).toContain('  profile rfc6749 · client authentication profile rfc7523bis · assertion audience "https://as.example" (probed)')
    expect(text).toContain('  Assertion iat ahead, accepted up to: 60 s (refused at 90 s) [8 requests]')
    // A report written before the profile was recorded still renders, without it.
    expect(renderText(report)).toContain('  profile rfc6749\n')
  })

  it('Markdown lists the counts per target and what needs attention', () => {
    const md = renderMarkdown(two)
    expect(md).toContain('| tenant-a | 1 | 1 | 1 | 0 | 1 | 0 | 67% | 0% |')
    expect(md).toContain('- ❌ `token-response/bad` Case bad ([RFC 6749 §5.1](https://www.rfc-editor.org/rfc/rfc6749.html#section-5.1)): a response containing tokens must not be stored')
  })
})

describe('baseline and accepted deviations', () => {
  const with_ = (id: string, outcome: CaseResult['outcome']) => ({ ...report, targets: [{ ...report.targets[0]!, cases: report.targets[0]!.cases.map((c) => (c.id === id ? { ...c, outcome } : c)) }] })
  const policy = { strict: false, allowErrored: false }

  it('marks new failures, fixes, still-failing and unchanged cases, and gates only on new failures', () => {
    const before = with_('bad', 'passed')
    const now = compareWithBaseline(with_('ok', 'failed'), with_('bad', 'failed'))
    const change = (id: string) => now.targets[0]!.cases.find((c) => c.id === id)!.change
    expect([change('ok'), change('bad'), change('warn'), change('skip')]).toEqual(['new-failure', 'still-failing', 'unchanged', 'unchanged'])
    expect(gateFailures(now, policy).map((f) => f.case.id)).toEqual(['ok'])
    const fixed = compareWithBaseline(before, report)
    expect(fixed.targets[0]!.cases.find((c) => c.id === 'bad')!.change).toBe('fixed')
    expect(gateFailures(fixed, policy)).toEqual([])
  })

  it('--strict counts warnings; errored cases fail the gate unless allowed', () => {
    expect(gateFailures(report, { strict: true, allowErrored: false }).map((f) => f.case.id)).toEqual(['bad', 'warn'])
    const errored = with_('ok', 'errored')
    expect(gateFailures(errored, policy).map((f) => f.case.id)).toEqual(['ok', 'bad'])
    expect(gateFailures(errored, { strict: false, allowErrored: true }).map((f) => f.case.id)).toEqual(['bad'])
  })

  it('an accepted deviation keeps its verdict but does not fail the gate', () => {
    const accepted = applyAcceptances(report, [{ target: '*', case: 'token-response/bad', reason: 'provider documents it' }])
    const bad = accepted.targets[0]!.cases.find((c) => c.id === 'bad')!
    expect(bad.outcome).toBe('failed')
    expect(bad.accepted).toBe('provider documents it')
    expect(gateFailures(accepted, policy)).toEqual([])
    expect(renderHtml(accepted)).toContain('Accepted deviation: provider documents it')
  })
})

describe('HTML escaping', () => {
  // Every free-text field, in a text node or an attribute, carries markup and an attribute break-out.
  const payload = `" onmouseover="x' <x-injected>&amp;`
  const enums = new Set(['outcome', 'level', 'change', 'format'])
  const hostile = <T>(v: T, key = ''): T => {
    if (typeof v === 'string') return (enums.has(key) ? v : `${v}${payload}`) as T
    if (Array.isArray(v)) return v.map((x) => hostile(x)) as T
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, hostile(x, k)])) as T
    return v
  }
  const bad = report.targets[0]!.cases[1]!
  const target = {
    ...report.targets[0]!,
    error: 'discovery failed',
    discovery: { url: 'https://as.example/.well-known/oauth-authorization-server', error: 'no metadata' },
    cases: [{ ...bad, change: 'new-failure' as const, accepted: 'documented', known: { provider: 'okta', behaviour: 'b', source: 's' }, request: { auth: 'none' } }, ...report.targets[0]!.cases],
  }
  const evil = hostile<Report>({ ...report, baseline: { runId: 'run-0', startedAt: '2025-12-31T00:00:00.000Z' }, targets: [target, { ...target, name: 'tenant-b', error: undefined }] })

  it('escapes every value from a report, in text and in attributes', () => {
    const html = renderHtml(evil)
    expect(html).toContain('tenant-b&quot; onmouseover=&quot;x&#39; &lt;x-injected&gt;&amp;amp;')
    expect(html).not.toContain('<x-injected')
    expect(html).not.toContain('onmouseover="')
    expect(html).not.toContain("x'")
    expect(html).toContain('<p class="alert">no metadata')
  })

  it('links a requirement only to a web address, whatever a loaded report says', () => {
    const withScriptLink = structuredClone(report)
    for (const c of withScriptLink.targets[0]!.cases) for (const r of c.requirements) r.url = 'javascript:alert(1)'
    const html = renderHtml(withScriptLink)
    expect(html).not.toContain('javascript:')
    expect(html).toContain('href="#"')
    expect(renderHtml(report)).toContain('href="https://www.rfc-editor.org/')
  })

  it('keeps the one script tag when a response body holds one, in every target of a comparison', () => {
    const html = renderHtml(evil)
    expect(html.match(/<script>/g)).toHaveLength(1)
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;')
  })
})
