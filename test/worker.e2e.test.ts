/**
 * The Worker in workerd (Miniflare, programmatic, with D1, R2, the queue and the gate), built from
 * the same bundle as a deploy, against the reference server on 127.0.0.1: the API, the dashboard
 * as a person reaches it (sign-in, roles, CSRF, security headers), Cloudflare Access, a broken
 * configuration entry, the badge and metrics, what it stores, and its bundle.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { gzipSync } from 'node:zlib'
import { Hono } from 'hono'
import { exportJWK, generateKeyPair, SignJWT } from 'jose'
import type { Miniflare } from 'miniflare'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { listen, type RunningServer } from '../fixtures/serve.ts'
import { createReferenceServer } from '../src/reference-server/app.ts'
import { EMULATIONS } from '../src/reference-server/emulations.ts'
import { ReportSchema } from '../src/schema/report.ts'
import { leaksIn } from './_leaks.ts'
import { builtinSuites, referenceTarget, ROOT } from './_run.ts'
import { auth, cron, d1, ORIGIN, postRun, READ_TOKEN, settled, TOKEN, worker } from './_worker.ts'

const builtinCount = builtinSuites().reduce((n, s) => n + s.cases.length, 0)
const version = (JSON.parse(readFileSync(`${ROOT}/package.json`, 'utf8')) as { version: string }).version
/** Every token the reference server issued to the Worker and every assertion it received. */
const issued = new Set<string>()
let server: RunningServer
let okta: RunningServer
let hostile: RunningServer
let mf: Miniflare

/** A token endpoint whose errors carry HTML and Markdown, to see what reaches the Markdown report. */
function markupServer(): Hono {
  const app = new Hono()
  app.get('/.well-known/oauth-authorization-server', (c) => {
    const issuer = new URL(c.req.url).origin
    return c.json({ issuer, token_endpoint: `${issuer}/token`, grant_types_supported: ['client_credentials'] })
  })
  app.post('/token', (c) => c.json({ error: '<img src=x onerror=alert(1)>[click](https://evil.example/)', error_description: '**bold**' }, 400))
  return app
}

const page = (path: string, headers: Record<string, string> = {}) => mf.dispatchFetch(`${ORIGIN}${path}`, { headers: { Accept: 'text/html', ...headers }, redirect: 'manual' })

beforeAll(async () => {
  server = await listen((await createReferenceServer({ onSecret: (v) => issued.add(v) })).fetch)
  okta = await listen((await createReferenceServer({ defects: EMULATIONS.okta!.switches })).fetch)
  hostile = await listen(markupServer().fetch)
  mf = worker({
    GRANTCHECK_TARGETS: JSON.stringify([
      referenceTarget(server.url),
      { ...referenceTarget(okta.url), name: 'okta', profile: 'okta' },
      { name: 'markup', issuer: hostile.url, clients: { primary: { clientId: 'c', authMethod: 'client_secret_basic', clientSecret: 's3cret-for-markup' } }, scopes: { valid: ['read'] } },
      { name: 'broken', issuer: 'not a url' },
    ]),
  })
}, 60_000)

afterAll(async () => {
  await mf?.dispose()
  await server?.close()
  await hostile?.close()
  await okta?.close()
})

describe('the API', () => {
  it('answers a run request at once with 202 and a run id, then serves the stored report as JSON, JUnit, Markdown and HTML', async () => {
    const res = await postRun(mf, { target: 'reference' })
    expect(res.status).toBe(202)
    const created = (await res.json()) as { id: string; status: string; statusUrl: string }
    expect(created.status).toBe('queued')
    const [run] = await settled(mf)
    expect(run).toMatchObject({ id: created.id, status: 'done', trigger: 'api' })
    const report = ReportSchema.parse(await (await mf.dispatchFetch(`${ORIGIN}/api/runs/${created.id}/report`, { headers: auth })).json())
    expect(report.targets[0]!.cases).toHaveLength(builtinCount)
    expect(report.tool.version).toBe(version)
    expect(await (await mf.dispatchFetch(`${ORIGIN}/api/runs/${created.id}/report?format=junit`, { headers: auth })).text()).toMatch(/^<\?xml/)
    expect(await (await mf.dispatchFetch(`${ORIGIN}/api/runs/${created.id}/report?format=md`, { headers: auth })).text()).toContain('## grantcheck: reference')
    const html = await page(`/runs/${created.id}`, auth)
    expect(html.headers.get('content-type')).toContain('text/html')
    expect(await html.text()).toContain('<h2 id="target-reference">reference</h2>')
  }, 120_000)

  it("labels the deviations a target's provider profile documents, as the CLI does (was: no labels in the Worker)", async () => {
    const { id } = (await (await postRun(mf, { target: 'okta', suites: ['jwt-access-token', 'scope'] })).json()) as { id: string }
    await settled(mf)
    const report = ReportSchema.parse(await (await mf.dispatchFetch(`${ORIGIN}/api/runs/${id}/report`, { headers: auth })).json())
    const known = report.targets[0]!.cases.filter((c) => c.known).map((c) => `${c.suite}/${c.id}`)
    expect(known).toEqual(expect.arrayContaining(['jwt-access-token/jwt-at-typ', 'scope/scope-restricted']))
    expect(report.targets[0]!.cases.filter((c) => c.known).every((c) => /Okta/.test(c.known!.provider))).toBe(true)
  }, 120_000)

  it('refuses run requests that carry a URL, name no configured target, are too large, or come with the read-only token', async () => {
    const withUrl = await postRun(mf, { target: 'reference', issuer: 'http://169.254.169.254/' })
    expect(withUrl.status).toBe(400)
    expect(((await withUrl.json()) as { error: string }).error).toContain('only { "target", "suites" } are accepted')
    expect((await postRun(mf, { target: 'http://169.254.169.254/' })).status).toBe(404)
    expect((await postRun(mf, { target: 'reference', suites: ['x'.repeat(5000)] })).status).toBe(413)
    expect((await postRun(mf, { target: 'reference', suites: ['no-such-suite'] })).status).toBe(422)
    const readOnly = await mf.dispatchFetch(`${ORIGIN}/api/runs`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${READ_TOKEN}`, 'Content-Type': 'application/json' },
      body: '{"target":"reference"}',
    })
    expect(readOnly.status).toBe(403)
  })

  it('lists runs a page at a time, and a broken configuration entry is reported, not fatal (was: 500 and a crashed cron)', async () => {
    await postRun(mf, { target: 'reference', suites: ['metadata'] })
    await postRun(mf, { target: 'reference', suites: ['scope'] })
    await settled(mf)
    const first = (await (await mf.dispatchFetch(`${ORIGIN}/api/runs?limit=2`, { headers: auth })).json()) as { runs: Array<{ id: string }>; next: string }
    expect(first.runs).toHaveLength(2)
    const second = (await (await mf.dispatchFetch(`${ORIGIN}${first.next}`, { headers: auth })).json()) as { runs: Array<{ id: string }> }
    expect(second.runs.map((r) => r.id)).not.toContain(first.runs[0]!.id)
    expect(second.runs.length).toBeGreaterThan(0)
    const targets = (await (await mf.dispatchFetch(`${ORIGIN}/api/targets`, { headers: auth })).json()) as { targets: Array<{ name: string }>; problems: Array<{ where: string }> }
    expect(targets.targets.map((t) => t.name)).toEqual(['reference', 'okta', 'markup'])
    expect(targets.problems.map((p) => p.where)).toContain('GRANTCHECK_TARGETS[3].issuer')
    const health = await mf.dispatchFetch(`${ORIGIN}/healthz`)
    expect(health.status).toBe(503)
    expect(await health.json()).toEqual({ status: 'degraded', targets: 3, problems: expect.any(Number), overdue: 0 })
    const dashboard = await page('/', auth)
    expect(dashboard.status).toBe(200)
    expect(await dashboard.text()).toContain('GRANTCHECK_TARGETS[3].issuer')
    // The cron runs the valid entries as usual.
    await cron(mf, Date.now())
    const scheduled = (await settled(mf)).filter((r) => r.trigger === 'schedule')
    expect(scheduled.map((r) => r.target).sort()).toEqual(['markup', 'okta', 'reference'])
  }, 180_000)

  it("escapes a server's HTML and Markdown in the Markdown report (was: copied into a job summary unescaped)", async () => {
    await postRun(mf, { target: 'markup', suites: ['client-authentication'] })
    const [run] = await settled(mf)
    const md = await (await mf.dispatchFetch(`${ORIGIN}/api/runs/${run!.id}/report?format=md`, { headers: auth })).text()
    expect(md).toContain('&lt;img src=x onerror=alert(1)&gt;\\[click\\](https://evil.example/)')
    // Escaped, the link's brackets render as text: no unescaped "](" is left.
    expect(md).not.toMatch(/<img|(?<!\\)\]\(https:\/\/evil/)
  }, 120_000)
})

describe('the dashboard, opened by a person', () => {
  it('sends a browser to the sign-in form, and signs in with a token into an HttpOnly, Secure, SameSite=Strict session', async () => {
    const anonymous = await page('/')
    expect(anonymous.status).toBe(303)
    expect(anonymous.headers.get('location')).toBe('/login')
    expect((await mf.dispatchFetch(`${ORIGIN}/api/targets`)).status).toBe(401)
    const wrong = await mf.dispatchFetch(`${ORIGIN}/login`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'token=wrong', redirect: 'manual' })
    expect(wrong.status).toBe(401)
    const login = await mf.dispatchFetch(`${ORIGIN}/login`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: `token=${TOKEN}`, redirect: 'manual' })
    expect(login.status).toBe(303)
    const cookie = login.headers.get('set-cookie')!
    expect(cookie).toMatch(/^grantcheck_session=[\w-]+\.[\w-]+; Path=\/; HttpOnly; Secure; SameSite=Strict; Max-Age=28800$/)
    expect(cookie).not.toContain(TOKEN)
    const session = { Cookie: cookie.split(';')[0]! }
    const home = await page('/', session)
    expect(home.status).toBe(200)
    const text = await home.text()
    expect(text).toContain('href="/targets/reference"')
    // A forged or tampered session is nobody.
    expect((await page('/', { Cookie: `${session.Cookie.slice(0, -2)}xx` })).status).toBe(303)
  })

  it('puts security headers on every page: CSP naming its one stylesheet and script by hash, nosniff, no framing, no caching', async () => {
    const [, id] = [null, ((await (await mf.dispatchFetch(`${ORIGIN}/api/runs?limit=1`, { headers: auth })).json()) as { runs: Array<{ id: string }> }).runs[0]!.id]
    for (const path of ['/', '/targets/reference', '/alerts', `/runs/${id}`, '/login']) {
      const res = await page(path, auth)
      const csp = res.headers.get('content-security-policy') ?? ''
      expect(csp, path).toMatch(/default-src 'none'/)
      expect(csp, path).toMatch(/script-src 'sha256-[\w+/=]+'/)
      expect(csp, path).toMatch(/frame-ancestors 'none'/)
      expect(res.headers.get('x-content-type-options'), path).toBe('nosniff')
      expect(res.headers.get('x-frame-options'), path).toBe('DENY')
      expect(res.headers.get('cache-control'), path).toBe('no-store')
      // Nothing the page uses may need 'unsafe-inline': no style attribute, no inline handler.
      expect(await res.text(), path).not.toMatch(/\sstyle="|\son[a-z]+="/)
    }
  }, 60_000)

  it('runs "Run now" only with the session\'s CSRF token, from this origin, and only for the run role', async () => {
    const sessionFor = async (token: string) => {
      const res = await mf.dispatchFetch(`${ORIGIN}/login`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: `token=${token}`, redirect: 'manual' })
      return { Cookie: res.headers.get('set-cookie')!.split(';')[0]! }
    }
    const runner = await sessionFor(TOKEN)
    const targetPage = await (await page('/targets/reference', runner)).text()
    const csrf = /name="csrf" value="([\w-]+)"/.exec(targetPage)![1]!
    const post = (headers: Record<string, string>, body: string) =>
      mf.dispatchFetch(`${ORIGIN}/targets/reference/run`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers }, body, redirect: 'manual' })
    expect((await post(runner, '')).status).toBe(403)
    expect((await post(runner, 'csrf=forged')).status).toBe(403)
    expect((await post({ ...runner, Origin: 'https://evil.example' }, `csrf=${csrf}`)).status).toBe(403)
    const reader = await sessionFor(READ_TOKEN)
    const readerCsrf = /name="csrf" value="([\w-]+)"/.exec(await (await page('/', reader)).text())?.[1]
    expect(await (await page('/targets/reference', reader)).text()).not.toContain('Run now')
    expect((await post(reader, `csrf=${readerCsrf}`)).status).toBe(403)
    const ok = await post({ ...runner, Origin: ORIGIN }, `csrf=${csrf}`)
    expect(ok.status).toBe(303)
    expect(ok.headers.get('location')).toMatch(/^\/targets\/reference\?queued=\w/)
    const [run] = await settled(mf)
    expect(run!.trigger).toBe('dashboard')
  }, 120_000)

  it("shows a target's trend, per-case history and runs; serves a badge and OpenMetrics behind authentication", async () => {
    const html = await (await page('/targets/reference', auth)).text()
    expect(html).toContain('<svg')
    expect(html).toContain('aria-label="per-case history"')
    expect(html).toContain('token-response/token-response-headers')
    expect((await mf.dispatchFetch(`${ORIGIN}/badge/reference.svg`)).status).toBe(401)
    const badge = await mf.dispatchFetch(`${ORIGIN}/badge/reference.svg`, { headers: auth })
    expect(badge.headers.get('content-type')).toContain('image/svg+xml')
    expect(await badge.text()).toMatch(/<svg[^>]*aria-label="grantcheck: (passing|\d+ failing)"/)
    const metrics = await (await mf.dispatchFetch(`${ORIGIN}/metrics`, { headers: auth })).text()
    expect(metrics).toMatch(/^grantcheck_target_up\{target="reference"\} 1$/m)
    expect(metrics).toMatch(/^grantcheck_config_problems [1-9]/m)
    expect(metrics.endsWith('# EOF\n')).toBe(true)
  }, 60_000)
})

describe('Cloudflare Access', () => {
  let access: Miniflare
  let keys: RunningServer
  let sign: (claims: Record<string, unknown>) => Promise<string>

  beforeAll(async () => {
    const { publicKey, privateKey } = await generateKeyPair('RS256')
    const jwk = { ...(await exportJWK(publicKey)), kid: 'access-test', alg: 'RS256' }
    const certs = new Hono()
    certs.get('/cdn-cgi/access/certs', (c) => c.json({ keys: [jwk] }))
    keys = await listen(certs.fetch)
    sign = (claims) =>
      new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: 'access-test' }).setIssuer(keys.url).setAudience('grantcheck-aud').setIssuedAt().setExpirationTime('5m').sign(privateKey)
    access = worker({ GRANTCHECK_TARGETS: JSON.stringify([referenceTarget(server.url)]), ACCESS_TEAM_DOMAIN: keys.url, ACCESS_AUD: 'grantcheck-aud', ACCESS_RUNNERS: 'ops@example.com' })
  })
  afterAll(async () => {
    await access?.dispose()
    await keys?.close()
  })

  it('lets in who Access signed for this application, with the role ACCESS_RUNNERS gives, and nobody else', async () => {
    const as = async (jwt: string) => access.dispatchFetch(`${ORIGIN}/`, { headers: { 'Cf-Access-Jwt-Assertion': jwt, Accept: 'text/html' }, redirect: 'manual' })
    const runner = await as(await sign({ email: 'ops@example.com', sub: 'u1' }))
    expect(runner.status).toBe(200)
    expect(await runner.text()).toContain('ops@example.com (may run)')
    const reader = await as(await sign({ email: 'dev@example.com', sub: 'u2' }))
    expect(await reader.text()).toContain('dev@example.com (read-only)')
    const otherApp = await new SignJWT({ email: 'ops@example.com' }).setProtectedHeader({ alg: 'HS256' }).setIssuer(keys.url).setAudience('grantcheck-aud').sign(new Uint8Array(32))
    expect((await as(otherApp)).status).toBe(401)
    expect((await access.dispatchFetch(`${ORIGIN}/`, { headers: { Accept: 'text/html' }, redirect: 'manual' })).status).toBe(401)
    // With Access in front, the login form is not offered.
    expect((await access.dispatchFetch(`${ORIGIN}/login`, { redirect: 'manual' })).status).toBe(303)
  })
})

describe('what the Worker stores', () => {
  it('holds no client secret, private key parameter, assertion or issued token in D1 or R2', async () => {
    const r2 = (await mf.getR2Bucket('REPORTS')) as unknown as { list(): Promise<{ objects: Array<{ key: string }> }>; get(k: string): Promise<{ text(): Promise<string> } | null> }
    const objects = await Promise.all((await r2.list()).objects.map(async (o) => (await r2.get(o.key))!.text()))
    const tables = ['runs', 'parts', 'case_state', 'target_state', 'alerts', 'snapshots', 'invocations']
    const rows = await Promise.all(tables.map(async (t) => JSON.stringify(await d1(mf, `SELECT * FROM ${t}`))))
    const stored = [...objects, ...rows]
    expect(objects.join('').length).toBeGreaterThan(100_000)
    const target = referenceTarget(server.url)
    const secrets = [
      ...Object.entries(target.clients).flatMap(([role, c]) => [
        [`${role} secret`, c.clientSecret],
        ...(typeof c.privateJwk === 'string' ? ['d', 'p', 'q'].map((k) => [`${role} key ${k}`, JSON.parse(c.privateJwk as string)[k]]) : []),
      ]),
      ['markup secret', 's3cret-for-markup'],
      ...[...issued].map((t) => ['issued token or assertion', t]),
    ].filter((x): x is [string, string] => typeof x[1] === 'string' && x[1].length >= 8)
    expect(issued.size).toBeGreaterThan(50)
    expect(leaksIn(stored, secrets)).toEqual([])
  })
})

describe('the Worker bundle', () => {
  it('imports no node: module, and its gzipped size is recorded', () => {
    const bundle = readFileSync(`${ROOT}/dist/worker.mjs`, 'utf8')
    // Hono probes globalThis.process?.getBuiltinModule?.("node:async_hooks") at run time, which
    // workerd does not have: a feature test, not an import. Real imports would look like these.
    expect(bundle).not.toMatch(/(?:from|import)\s*\(?\s*["']node:/)
    expect(bundle).not.toMatch(/(?<!\?\.)require\(\s*["']node:/)
    const gz = gzipSync(bundle).length
    console.log(`worker bundle: ${bundle.length} bytes, ${gz} bytes gzipped`)
    expect(gz).toBeGreaterThan(10_000)
  })

  it('keeps the migration files, in order, and the schema the Worker applies itself equal', async () => {
    const { SCHEMA } = await import('../src/worker/db-schema.ts')
    // Each file starts with its comment lines; the statements follow one another as in SCHEMA.
    const files = readdirSync(`${ROOT}/migrations`)
      .filter((f) => /^\d{4}_.*\.sql$/.test(f))
      .sort()
    expect(files.slice(0, 2)).toEqual(['0001_monitoring.sql', '0002_targets.sql'])
    const statements = files.map((f) => readFileSync(`${ROOT}/migrations/${f}`, 'utf8').replace(/^(--[^\n]*\n)+/, '')).join('')
    expect(`\n${statements}`).toBe(SCHEMA)
  })
})
