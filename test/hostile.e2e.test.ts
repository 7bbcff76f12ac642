/**
 * The hostile-server corpus: for every misbehaviour the run finishes within its budget, the
 * affected cases are errored or failed with a clear message, and nothing else is affected. Run
 * over both transports the engine is given: `fetch` (Workers, Deno) and the CLI's node:http one.
 * Then every route once more through the CLI with default limits: each ends within 60 s, and no
 * output holds a secret or a raw control character, and nothing reached another origin.
 */
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createElsewhere, createHostileServer, DUPLICATE_FIRST_TOKEN, HOSTILE_ROUTES, redirectHits, type HostileRoute } from '../fixtures/hostile/app.ts'
import { FIXTURE_SECRETS } from '../src/reference-server/clients.ts'
import { createReferenceServer } from '../src/reference-server/app.ts'
import { listen, stallingTls, type RunningServer } from '../fixtures/serve.ts'
import { makeCertificate } from '../src/node/certificates.ts'
import { main, type Io } from '../src/cli/main.ts'
import { mapPool } from '../src/core/engine.ts'
import type { CaseResult, Report } from '../src/schema/report.ts'
import { createNodeTransport } from '../src/node/transport.ts'
import type { FetchLike } from '../src/core/http.ts'
import { hasControls } from '../src/reporters/plain.ts'
import { disagreements, judged } from './_expected.ts'
import { leaksIn } from './_leaks.ts'
import { builtinSuites, referenceTarget, runAgainst } from './_run.ts'

const LIMITS = { timeoutMs: 800, runDeadlineMs: 6_000, maxRetries: 1, maxRetryAfterMs: 1_500 }
/**
 * Where slowness is the misbehaviour, the short timeout is what is tested. Elsewhere a request
 * that waits 800 ms is only a busy machine (many runs share 2 cores here), so those routes get a
 * timeout and a deadline that a loaded machine does not reach.
 */
const SLOW_ROUTES = ['drip', 'never-ends', 'never-answers', 'hang-after-20', 'discovery-never-answers', 'tls-stall']
const limitsFor = (route: string) => (SLOW_ROUTES.includes(route) ? LIMITS : { ...LIMITS, timeoutMs: 15_000, runDeadlineMs: 45_000 })
/**
 * How long a run may take: its own deadline and timeout, plus twice what a run of the conformant
 * server took on the same transport in the same batch. The bound catches a run that does not stop,
 * and grows with the machine's load instead of failing under it.
 */
const budgetFor = (route: string, baselineMs: number) => limitsFor(route).runDeadlineMs + limitsFor(route).timeoutMs + 2 * baselineMs + 4_000
const ANY = /.*/

/** For each route: the case to look at, the outcomes allowed, and what its reason must say. */
const EXPECT: Record<HostileRoute, [string, Array<CaseResult['outcome']>, RegExp]> = {
  'not-json': ['token-response/token-response-members', ['failed'], /no token response|not JSON/],
  'truncated-json': ['token-response/token-response-members', ['failed'], /no token response|not JSON/],
  'json-array': ['token-response/token-response-members', ['failed'], /no token response/],
  'json-null': ['token-response/token-response-members', ['failed'], /no token response/],
  'huge-number': ['token-response/token-response-members', ['failed'], /expires_in must be a positive integer/],
  'deep-nesting': ['token-response/token-response-members', ['failed'], /no token response/],
  'big-body': ['token-response/token-response-members', ['failed'], /no token response/],
  drip: ['token-response/token-response-members', ['errored'], /no complete response within 800 ms|deadline|target unresponsive/],
  'never-ends': ['token-response/token-response-members', ['errored'], /no complete response within 800 ms|deadline|target unresponsive/],
  'redirect-other-host': ['client-authentication/basic-success', ['failed'], /expected status 200, got 307/],
  'redirect-http': ['client-authentication/basic-success', ['failed'], /expected status 200, got 302/],
  'redirect-loop': ['client-authentication/basic-success', ['failed'], /expected status 200, got 307/],
  'wrong-content-type': ['token-response/token-response-headers', ['failed'], /Content-Type is text\/html/],
  'invalid-utf8': ['token-response/token-response-members', ['failed'], /no token response|not 1\*VSCHAR/],
  'jwt-not-base64url': ['jwt-access-token/jwt-at-signature', ['skipped'], /opaque/],
  'jwt-huge-header': ['jwt-access-token/jwt-at-signature', ['failed'], /signature does not verify|JWKS|no published key has kid/],
  'rate-limited': ['client-authentication/basic-success', ['errored'], /target throttles every request: 3 HTTP 429 answers in a row \(Retry-After: 1\)/],
  'rate-limited-no-retry-after': ['client-authentication/basic-success', ['errored'], /target throttles every request: 3 HTTP 429 answers in a row;/],
  'rate-limited-text': ['client-authentication/basic-success', ['errored'], /target throttles every request: 3 HTTP 429 answers in a row \(Retry-After: 60\)/],
  'server-error': ['client-authentication/basic-success', ['failed'], /expected status 200, got 502/],
  'connection-reset': ['client-authentication/basic-success', ['errored'], /request failed/],
  'jwks-garbage': ['metadata/metadata-jwks', ['failed'], /no kty|key 0/],
  'jwks-10000-keys': ['metadata/metadata-jwks', ['failed'], /10000 keys, more than the 100/],
  'metadata-issuer-differs': ['client-authentication/basic-success', ['errored'], /"issuer" is "https:\/\/someone-else/],
  'foreign-endpoints': ['metadata/metadata-endpoints-on-named-origins', ['failed'], /introspection_endpoint is on http:\/\/127\.0\.0\.2:\d+.*jwks_uri is on http:\/\/127\.0\.0\.2/],
  'foreign-token-endpoint': ['metadata/metadata-endpoints-on-named-origins', ['failed'], /token_endpoint is on http:\/\/127\.0\.0\.2:\d+: not called/],
  'control-characters': ['token-response/token-response-members', ['failed'], /token_type is "Bearer\u001b\[2J/],
  'deep-jwt': ['jwt-access-token/jwt-at-signature', ['skipped'], /opaque/],
  'overlapping-echo': ['client-authentication/basic-success', ['passed'], ANY],
  'escaped-echo': ['client-authentication/basic-success', ['passed'], ANY],
  'prototype-headers': ['token-response/token-response-headers', ['passed'], ANY],
  'huge-claims': ['jwt-access-token/jwt-at-signature', ['failed'], /signature does not verify|JWKS|no published key has kid "k"/],
  'gzip-bomb': ['token-response/token-response-members', ['failed'], /no token response/],
  'deflate-bomb': ['token-response/token-response-members', ['failed'], /no token response/],
  'br-bomb': ['token-response/token-response-members', ['failed'], /no token response/],
  'hang-after-20': ['client-authentication/basic-success', ['passed', 'errored'], ANY],
  'never-answers': ['client-authentication/basic-success', ['errored'], /no complete response within 800 ms|target unresponsive/],
  'jku-x5u': ['jwt-access-token/jwt-at-signature', ['failed'], /no published key has kid "attacker"/],
  'duplicate-members': ['token-response/token-response-json-text', ['failed'], /access_token, token_type, scope written more than once/],
  'utf16-echo': ['token-response/token-response-json-text', ['failed'], /UTF-16LE/],
  'utf16be-echo': ['token-response/token-response-json-text', ['failed'], /UTF-16BE/],
  'base64-echo': ['client-authentication/basic-success', ['passed'], ANY],
  'hex-echo': ['client-authentication/basic-success', ['passed'], ANY],
  'jwks-rsa-exponent-1': ['jwt-access-token/jwt-at-signature', ['failed'], /RFC 8017/],
  'discovery-never-answers': ['client-authentication/basic-success', ['errored'], /no complete response within 800 ms|target unresponsive/],
}
/** Tokens the corpus issues: like the client secrets, no output may hold them in any form. */
const ISSUED: Array<[string, string]> = [
  ['the corpus token', 'hostile-opaque-token-0123456789abcdef0123456789abcdef'],
  ['the first of two access_token members', DUPLICATE_FIRST_TOKEN],
]

let hostile: RunningServer
let reference: RunningServer
let elsewhere: RunningServer
const foreign = createElsewhere()
let tls: { url: string; close(): void }
/** A TCP listener that takes connections and never answers a TLS ClientHello. */
let stall: { url: string; close(): void }
const nodeTransport = createNodeTransport()
const TRANSPORTS: Array<[string, FetchLike]> = [
  ['fetch', fetch],
  ['node:http', nodeTransport.fetch],
]
/** `transport route` → the run's report and time; `transport conformant` is the reference server's. */
const results = new Map<string, { report: Report; ms: number }>()
/** The conformant server judged before any hostile route ran. */
let conformantBefore: Report

/** hang-after-20 counts the answers it gave: each run gets a server of its own. */
async function ownServerFor(route: string): Promise<RunningServer | undefined> {
  return route === 'hang-after-20' ? listen(createHostileServer({ elsewhere: elsewhere.url }).fetch as (r: Request) => Promise<Response>) : undefined
}

function target(issuer: string, route: string) {
  return { ...referenceTarget(issuer), name: 'hostile', limits: limitsFor(route) }
}

beforeAll(async () => {
  elsewhere = await listen(foreign.app.fetch, 0, '127.0.0.2')
  hostile = await listen(createHostileServer({ elsewhere: elsewhere.url }).fetch as (r: Request) => Promise<Response>)
  reference = await listen((await createReferenceServer()).fetch)
  // A self-signed certificate, made now, for a TLS server no client should trust.
  const self = await makeCertificate({ subject: [['CN', '127.0.0.1']], ips: ['127.0.0.1'], validDays: 1 })
  const server = createServer({ key: self.keyPem, cert: self.certPem }, (_req, res) => res.end('{}'))
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready))
  tls = { url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => server.close() }
  stall = await stallingTls()

  conformantBefore = await runAgainst(referenceTarget(reference.url))
  // The conformant server runs in the same batch as the routes: its time is the baseline of the budgets.
  const routes: Array<[string, string]> = [
    ...HOSTILE_ROUTES.map((r): [string, string] => [r, `${hostile.url}/r/${r}`]),
    ['tls-self-signed', tls.url],
    ['tls-stall', stall.url],
    ['conformant', reference.url],
  ]
  const runs = TRANSPORTS.flatMap(([transport, fetchImpl]) => routes.map(([name, issuer]) => ({ key: `${transport} ${name}`, name, issuer, fetchImpl })))
  await mapPool(runs, 8, async ({ key, name, issuer, fetchImpl }) => {
    const own = await ownServerFor(name)
    const started = performance.now()
    const report = await runAgainst(target(own ? `${own.url}/r/${name}` : issuer, name), undefined, {}, fetchImpl)
    results.set(key, { report, ms: performance.now() - started })
    await own?.close()
  })
}, 240_000)

afterAll(async () => {
  await hostile?.close()
  await reference?.close()
  await elsewhere?.close()
  tls?.close()
  stall?.close()
  nodeTransport.close()
})

describe.each(TRANSPORTS)('the hostile-server corpus, over %s', (transport, fetchImpl) => {
  const baselineMs = () => results.get(`${transport} conformant`)!.ms

  it('reached every route of the corpus, each under its own name', () => {
    expect(new Set(HOSTILE_ROUTES).size).toBe(HOSTILE_ROUTES.length)
    const unreached = HOSTILE_ROUTES.filter((route) => {
      const t = results.get(`${transport} ${route}`)!.report.targets[0]!
      // Where it went: the discovery URL, the exchanges, or the URLs a failed discovery names.
      const urls = [t.discovery.url ?? '', t.discovery.error ?? '', t.error ?? '', ...t.cases.flatMap((c) => c.exchanges.map((e) => e.request.url))]
      return !urls.some((u) => new RegExp(`/r/${route}(/|$|:)`).test(u))
    })
    expect(unreached).toEqual([])
    console.log(`hostile routes over ${transport}: ${HOSTILE_ROUTES.length + 1}, the conformant run took ${(baselineMs() / 1000).toFixed(1)} s`)
  })

  it.each([...HOSTILE_ROUTES])('%s: finishes within its budget and judges the affected case with a clear message', (route) => {
    const { report, ms } = results.get(`${transport} ${route}`)!
    expect(ms).toBeLessThan(budgetFor(route, baselineMs()))
    const [caseId, allowed, reason] = EXPECT[route]
    const c = report.targets[0]!.cases.find((x) => `${x.suite}/${x.id}` === caseId)!
    expect(allowed, `${route}: ${caseId} was ${c.outcome} (${c.reason})`).toContain(c.outcome)
    expect(c.reason ?? '').toMatch(reason)
    // Every case got a verdict, and every non-pass says why.
    for (const x of report.targets[0]!.cases) if (x.outcome !== 'passed') expect(x.reason, `${route}: ${x.id}`).toBeTruthy()
  })

  it('tls-self-signed: an untrusted certificate is a clear error, not a pass', () => {
    const { report, ms } = results.get(`${transport} tls-self-signed`)!
    expect(ms).toBeLessThan(budgetFor('tls-self-signed', baselineMs()))
    expect(report.targets[0]!.error).toMatch(/metadata discovery failed: .*request failed.*SELF_SIGNED/)
    expect(new Set(report.targets[0]!.cases.map((c) => c.outcome))).toEqual(new Set(['errored']))
  })

  it('tls-stall: a handshake that never ends is a clear error within its budget', () => {
    const { report, ms } = results.get(`${transport} tls-stall`)!
    expect(ms).toBeLessThan(budgetFor('tls-stall', baselineMs()))
    // node:http cuts the handshake at the connect timeout; fetch cannot tell it from waiting.
    expect(report.targets[0]!.error).toMatch(/metadata discovery failed: .*(no connection within 3000 ms|no complete response within 800 ms)/)
    expect(new Set(report.targets[0]!.cases.map((c) => c.outcome))).toEqual(new Set(['errored']))
  })

  it('never followed a redirect, and sent nothing to another origin', () => {
    expect(redirectHits.count).toBe(0)
    expect(foreign.hits).toEqual([])
  })

  it('foreign endpoints are not called: cases that would use them are skipped with the reason', () => {
    const cases = results.get(`${transport} foreign-endpoints`)!.report.targets[0]!.cases
    expect(cases.find((c) => c.id === 'introspect-issued-token')).toMatchObject({
      outcome: 'skipped',
      reason: expect.stringMatching(/introspection_endpoint on http:\/\/127\.0\.0\.2:\d+, an origin the target does not name/),
    })
    const tokenElsewhere = results.get(`${transport} foreign-token-endpoint`)!.report.targets[0]!
    expect(tokenElsewhere.cases.find((c) => c.id === 'basic-success')).toMatchObject({ outcome: 'skipped', reason: expect.stringMatching(/token_endpoint on http:\/\/127\.0\.0\.2/) })
  })

  it('keeps prototype-named response headers as headers', () => {
    const c = results.get(`${transport} prototype-headers`)!.report.targets[0]!.cases.find((x) => x.id === 'basic-success')!
    const named = c.exchanges[0]!.response!.headers.filter(([k]) => ['constructor', '__proto__', 'tostring', 'hasownproperty'].includes(k.toLowerCase()))
    expect(named.map(([k, v]) => [k.toLowerCase(), v]).sort()).toEqual([
      ['__proto__', 'p'],
      ['constructor', 'c'],
      ['hasownproperty', 'h'],
      ['tostring', 't'],
    ])
  })

  it('leaves a conformant server judged, check by check, as it was before the corpus ran', async () => {
    const after = judged((await runAgainst(referenceTarget(reference.url), undefined, {}, fetchImpl)).targets[0]!.cases)
    const before = judged(conformantBefore.targets[0]!.cases)
    expect(Object.keys(after).sort()).toEqual(
      builtinSuites()
        .flatMap((s) => s.cases.map((c) => `${s.suite.id}/${c.case.id}`))
        .sort(),
    )
    expect(disagreements(after, (key) => before[key]!)).toEqual([])
    expect(Object.entries(after).filter(([, j]) => ['failed', 'warning', 'errored'].includes(j.outcome))).toEqual([])
  })
})

describe('the two transports', () => {
  // Timing is the one thing the two runs do not share: under load either may see a request time out
  // or the deadline pass first. Cases errored for that reason are left out of the comparison.
  const timedOut = (c: CaseResult) => c.outcome === 'errored' && /no complete response within|run deadline|target unresponsive/.test(c.reason ?? '')
  // Where slowness is the misbehaviour (or 429s stop the target), few cases finish in time.
  // Where slowness, throttling or broken connections are the misbehaviour, the target is stopped and few cases finish.
  const TIMING_ROUTES: string[] = [
    'drip',
    'never-ends',
    'never-answers',
    'hang-after-20',
    'discovery-never-answers',
    'tls-stall',
    'rate-limited',
    'rate-limited-no-retry-after',
    'rate-limited-text',
    'connection-reset',
  ]

  it.each([...HOSTILE_ROUTES, 'tls-self-signed', 'tls-stall'])('%s: every case gets the same verdict over node:http as over fetch', (route) => {
    const cases = (transport: string) => results.get(`${transport} ${route}`)!.report.targets[0]!.cases
    const overNode = cases('node:http')
    const overFetch = cases('fetch')
    expect(overNode.map((c) => `${c.suite}/${c.id}`)).toEqual(overFetch.map((c) => `${c.suite}/${c.id}`))
    const compared = overNode.flatMap((c, i) => (timedOut(c) || timedOut(overFetch[i]!) ? [] : [[c, overFetch[i]!] as const]))
    // Where slowness or throttling is the misbehaviour, every case may end by a timeout or the stop.
    expect(compared.length).toBeGreaterThanOrEqual(TIMING_ROUTES.includes(route) ? 0 : 40)
    for (const [n, f] of compared) expect(`${n.suite}/${n.id}: ${n.outcome}`, `over fetch: ${f.outcome} (${f.reason}); over node:http: ${n.reason}`).toBe(`${f.suite}/${f.id}: ${f.outcome}`)
  })
})

describe('every route through the CLI with default limits', () => {
  const dir = mkdtempSync(join(tmpdir(), 'grantcheck-hostile-cli-'))
  const runs = new Map<string, { ms: number; code: number; output: string; files: string[]; bytesReceived: number; reportBytes: number }>()

  beforeAll(async () => {
    // The conformant server in the same batch: its time is the baseline of the budgets below.
    const routes: Array<[string, string]> = [
      ...HOSTILE_ROUTES.map((r): [string, string] => [r, `${hostile.url}/r/${r}`]),
      ['tls-self-signed', tls.url],
      ['tls-stall', stall.url],
      ['conformant', reference.url],
    ]
    await mapPool(routes, 8, async ([route, issuer]) => {
      const own = await ownServerFor(route)
      const file = join(dir, `${route}.json`)
      writeFileSync(file, JSON.stringify({ ...referenceTarget(own ? `${own.url}/r/${route}` : issuer), name: `hostile-${route}` }))
      const lines: string[] = []
      const io: Io = { out: (l) => lines.push(l), err: (l) => lines.push(l), progress: (t) => lines.push(t), env: {}, color: false }
      const out = join(dir, route)
      const started = performance.now()
      const code = await main(['run', '--target', file, '--out', out], io)
      const files = readdirSync(out).flatMap((run) => readdirSync(join(out, run)).map((f) => join(out, run, f)))
      const reportFile = files.find((f) => f.endsWith('report.json'))!
      const report = JSON.parse(readFileSync(reportFile, 'utf8')) as Report
      const bytesReceived = report.targets[0]!.cases.flatMap((c) => c.exchanges).reduce((n, e) => n + (e.response?.bodyBytes ?? 0), 0)
      runs.set(route, { ms: performance.now() - started, code, output: lines.join('\n'), files, bytesReceived, reportBytes: statSync(reportFile).size })
      await own?.close()
    })
    const worst = [...runs].sort((a, b) => b[1].ms - a[1].ms)[0]!
    console.log(`hostile corpus with default limits: ${runs.size} routes, the slowest ${worst[0]} in ${(worst[1].ms / 1000).toFixed(1)} s`)
  }, 240_000)

  /** Twice a conformant run's time in the same batch: what the machine's load adds to any run. */
  const slack = () => 2 * runs.get('conformant')!.ms

  it.each([...HOSTILE_ROUTES, 'tls-self-signed', 'tls-stall'])('%s: ends within 60 s (and what load adds) and writes its report', (route) => {
    const run = runs.get(route)!
    expect(run.ms).toBeLessThan(60_000 + slack())
    expect(run.files.map((f) => f.replace(/^.*\//, '')).sort()).toEqual(['junit.xml', 'report.html', 'report.json', 'summary.md'])
    expect([0, 1, 3]).toContain(run.code)
  })

  it('a dead, dripping, stalling or fully throttled target ends within 1.2 × the request timeout + 1 s, its cases errored with the reason', () => {
    const bound = 1.2 * 10_000 + 1_000
    for (const route of ['never-answers', 'drip', 'discovery-never-answers', 'tls-stall', 'hang-after-20', 'rate-limited-text']) {
      const run = runs.get(route)!
      console.log(`${route} with default limits: ${(run.ms / 1000).toFixed(1)} s`)
      expect(run.ms, route).toBeLessThan(bound + slack())
      const target = (
        JSON.parse(
          readFileSync(
            run.files.find((f) => f.endsWith('report.json'))!,
            'utf8',
          ),
        ) as Report
      ).targets[0]!
      // With no answer to discovery there is no token endpoint: the target's error says why.
      const stopped = target.cases.filter((c) => /target (unresponsive|throttles every request)|metadata discovery failed/.test(c.reason ?? ''))
      expect(stopped.length, route).toBeGreaterThan(10)
    }
  })

  it('prints and writes no raw control character, whatever the server sent', () => {
    const dirty: string[] = []
    for (const [route, run] of runs) {
      // Tabs and line feeds are ours; everything else a control character could do is escaped,
      // a carriage return included.
      if (hasControls(run.output.replace(/[\n\t]/g, ''))) dirty.push(`${route}: console`)
      for (const f of run.files) if (hasControls(readFileSync(f, 'utf8').replace(/[\n\t]/g, ''))) dirty.push(`${route}: ${f.replace(/^.*\//, '')}`)
    }
    expect(dirty).toEqual([])
    // The control-characters route did reach the outputs, escaped.
    expect(runs.get('control-characters')!.output).toContain('\\x1b[2J')
    const html = readFileSync(
      runs.get('control-characters')!.files.find((f) => f.endsWith('report.html'))!,
      'utf8',
    )
    expect(html).toContain('\\x1b[2J')
    expect(html).toContain('\\x0d')
  })

  it('leaks no client secret or issued token in any form: overlapping, JSON-escaped, duplicated, UTF-16, Base64 at any offset, hex', () => {
    const leaks: string[] = []
    for (const [route, run] of runs) {
      const texts = [run.output, ...run.files.map((f) => readFileSync(f, 'utf8'))]
      leaks.push(...leaksIn(texts, [...Object.entries(FIXTURE_SECRETS), ...ISSUED]).map((l) => `${route}: ${l}`))
      // The overlapping echo's tail (the secret after its first 6 characters) must not survive either.
      for (const t of texts) if (t.includes(FIXTURE_SECRETS.primary.slice(6))) leaks.push(`${route}: the tail of the primary secret`)
    }
    expect(leaks).toEqual([])
    expect(foreign.hits).toEqual([])
  })

  it('keeps reports small whatever the server sent: a 0.7 MB token per answer', () => {
    const huge = runs.get('huge-claims')!
    console.log(`huge-claims: ${(huge.bytesReceived / 1e6).toFixed(1)} MB received, report.json ${(huge.reportBytes / 1e6).toFixed(2)} MB`)
    expect(huge.bytesReceived).toBeGreaterThan(30_000_000)
    // Each case keeps at most a few bounded excerpts of what it received (docs/decisions.md).
    expect(huge.reportBytes).toBeLessThan(builtinSuites().reduce((n, s) => n + s.cases.length, 0) * 30_000)
  })
})
