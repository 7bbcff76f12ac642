/**
 * The Worker's dashboard as a person uses it, in Debian's headless Chromium (playwright-core; no
 * browser download): the Worker in Miniflare on a real port, the reference server behind it with a
 * defect switched on part-way, so the target has a trend and a failing case. Sign in with the API
 * token, read the overview and the target page, press "Run now", and see the new run; all under
 * the pages' own Content-Security-Policy, with no console error or CSP violation on the way. The
 * screenshot stays under reports/dashboard-browser-test/ for a person to look at.
 */
import { existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Miniflare } from 'miniflare'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { listen, type RunningServer } from '../fixtures/serve.ts'
import { createReferenceServer } from '../src/reference-server/app.ts'
import { referenceTarget, ROOT } from './_run.ts'
import { postRun, settled, TOKEN, worker, type RunStatus } from './_worker.ts'

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const OUT = join(ROOT, 'reports', 'dashboard-browser-test')
// On a developer's machine without Chromium the test is skipped with this reason; CI installs it
// (.ci/run), and there a missing browser fails the test.
const missing = !existsSync(CHROMIUM) && !process.env.CI

const FAILING_CASE = 'token-response/token-response-headers'
const defects = new Set<string>()
let server: RunningServer | undefined
let mf: Miniflare | undefined
let browser: Browser | undefined
let context: BrowserContext
let page: Page
/** http://localhost:<port>: Chromium keeps Secure cookies on localhost, not on a bare IP over HTTP. */
let base = ''
let history: RunStatus[] = []
/** Console errors (a CSP violation is one) and uncaught exceptions of every page opened. */
const problems: string[] = []

/** Queues a run of every suite through the API and waits for it to finish. */
async function runOnce(): Promise<RunStatus[]> {
  const res = await postRun(mf!, { target: 'reference' })
  if (res.status !== 202) throw new Error(`run refused: ${res.status} ${await res.text()}`)
  return settled(mf!, 240_000)
}

/** The red, green and blue of a CSS colour as Chromium computes it (`rgb(r, g, b)`). */
function rgb(color: string): [number, number, number] {
  const m = /^rgba?\((\d+), (\d+), (\d+)/.exec(color)
  if (!m) throw new Error(`not an rgb() colour: ${color}`)
  return [Number(m[1]), Number(m[2]), Number(m[3])]
}

beforeAll(async () => {
  if (missing) return
  server = await listen((await createReferenceServer({ defects })).fetch)
  mf = worker({ GRANTCHECK_TARGETS: JSON.stringify([referenceTarget(server.url)]), CONFIRM_FAILURES: '0' }, { port: 0 })
  base = `http://localhost:${(await mf.ready).port}`
  // History: two conformant runs, then one with the token response cacheable.
  await runOnce()
  await runOnce()
  defects.add('no-cache-headers')
  history = await runOnce()
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  })
  context = await browser.newContext({ viewport: { width: 1280, height: 900 } })
  page = await context.newPage()
  page.on('console', (m) => {
    // The browser's own request for /favicon.ico (the Worker has none) is no fault of a page.
    if (m.type() === 'error' && !m.location().url.endsWith('/favicon.ico')) problems.push(`console: ${m.text()} (${m.location().url})`)
  })
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`))
}, 600_000)

afterAll(async () => {
  await browser?.close()
  await mf?.dispose()
  await server?.close()
})

describe.skipIf(missing)(`the Worker's dashboard in Chromium (${CHROMIUM})`, () => {
  it('has the history the page is about: three finished runs, the last with a failure', () => {
    expect(history.map((r) => [r.trigger, r.status])).toEqual([
      ['api', 'done'],
      ['api', 'done'],
      ['api', 'done'],
    ])
    expect(history[0]!.counts?.failed).toBeGreaterThan(0)
    expect(history[1]!.counts?.failed).toBe(0)
    expect(history[2]!.counts?.failed).toBe(0)
  })

  it('sends a visitor without a session to the sign-in form, and signs in with the API token', async () => {
    await page.goto(`${base}/`)
    expect(new URL(page.url()).pathname).toBe('/login')
    await expect(page.getByRole('heading', { name: 'Sign in' }).isVisible()).resolves.toBe(true)
    await page.getByLabel(/API token/).fill(TOKEN)
    await Promise.all([page.waitForURL(`${base}/`), page.getByRole('button', { name: 'Sign in' }).click()])
    const cookie = (await context.cookies(base)).find((c) => c.name === 'grantcheck_session')
    expect(cookie).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Strict' })
    expect(cookie!.value).not.toContain(TOKEN)
  }, 60_000)

  it('lists the target on the overview with its failing status', async () => {
    const row = page.getByRole('table', { name: 'targets' }).locator('tbody tr', { hasText: 'reference' })
    await expect(row.count()).resolves.toBe(1)
    const status = row.locator('td').nth(1)
    await expect(status.innerText()).resolves.toBe('1 failing')
    await expect(status.getAttribute('class')).resolves.toBe('state-failing')
    // The overview's pass rates: newest first, the failing run below 100 %.
    await expect(row.locator('td').nth(4).innerText()).resolves.toMatch(/^\d+% 100% 100%$/)
  }, 60_000)

  it('shows the target page: trend chart, failing case, per-case history in red and green', async () => {
    const [response] = await Promise.all([page.waitForResponse((r) => new URL(r.url()).pathname === '/targets/reference'), page.getByRole('link', { name: 'reference', exact: true }).click()])
    await page.waitForURL(`${base}/targets/reference`)
    // The page is served under its own policy: no inline style or script but those named by hash.
    expect(response.headers()['content-security-policy']).toMatch(/default-src 'none'; style-src 'sha256-[^']+' 'sha256-[^']+'; script-src 'sha256-[^']+';/)
    await expect(page.getByRole('heading', { level: 2 }).innerText()).resolves.toMatch(/^reference\s+1 failing$/)

    const chart = page.getByRole('img', { name: /Pass rate and time per request over the last 3 runs/ })
    await expect(chart.isVisible()).resolves.toBe(true)
    await expect(chart.evaluate((e) => e.tagName.toLowerCase())).resolves.toBe('svg')
    await expect(chart.locator('circle.point').count()).resolves.toBe(3)
    // The stylesheet applies (it would not if the CSP blocked it): the rate line is drawn, not filled.
    await expect(chart.locator('path.rate').evaluate((p) => getComputedStyle(p).fill)).resolves.toBe('none')

    const failing = page.locator('h3', { hasText: 'Failing and unconfirmed cases' }).locator('xpath=following-sibling::*[1]')
    await expect(failing.evaluate((e) => e.tagName)).resolves.toBe('UL')
    await expect(failing.locator('li').allInnerTexts()).resolves.toEqual([expect.stringMatching(new RegExp(`^failing since .*: ${FAILING_CASE} `))])

    const row = page.getByRole('table', { name: 'per-case history' }).locator('tbody tr', { has: page.locator('th code', { hasText: new RegExp(`^${FAILING_CASE}$`) }) })
    await expect(row.count()).resolves.toBe(1)
    await expect(row.locator('td').first().innerText()).resolves.toBe('failing')
    const cells = row.locator('td.cell')
    await expect(cells.count()).resolves.toBe(3)
    // Newest on the left: failed, then the two passing runs.
    await expect(cells.evaluateAll((tds) => tds.map((td) => td.className))).resolves.toEqual(['cell failed', 'cell passed', 'cell passed'])
    const colours = (await cells.evaluateAll((tds) => tds.map((td) => getComputedStyle(td).backgroundColor))).map(rgb)
    const [red, green] = [colours[0]!, colours[1]!]
    expect(red[0]).toBeGreaterThan(2 * red[1])
    expect(red[0]).toBeGreaterThan(2 * red[2])
    expect(green[1]).toBeGreaterThan(green[0])
    expect(green[1]).toBeGreaterThan(green[2])
  }, 60_000)

  it('runs the target from the page with "Run now", and shows the new run once it is done', async () => {
    const runs = page.getByRole('table', { name: 'recent runs' }).locator('tbody tr')
    await expect(runs.count()).resolves.toBe(3)
    await Promise.all([page.waitForURL(/\/targets\/reference\?queued=/), page.getByRole('button', { name: 'Run now' }).click()])
    const queued = new URL(page.url()).searchParams.get('queued')
    expect(queued).toMatch(/\S/)
    const done = await settled(mf!, 240_000)
    expect(done[0]).toMatchObject({ id: queued, trigger: 'dashboard', status: 'done' })
    await page.reload()
    await expect(runs.count()).resolves.toBe(4)
    const newest = runs.first().locator('td')
    await expect(newest.nth(0).innerText()).resolves.toBe(queued)
    await expect(newest.nth(1).innerText()).resolves.toBe('dashboard')
    await expect(page.getByRole('img', { name: /over the last 4 runs/ }).isVisible()).resolves.toBe(true)
  }, 300_000)

  it('saves a screenshot of the target page', async () => {
    mkdirSync(OUT, { recursive: true })
    const file = join(OUT, 'dashboard.png')
    await page.screenshot({ path: file, fullPage: true })
    expect(existsSync(file)).toBe(true)
    console.log(`dashboard screenshot: ${file}`)
  }, 60_000)

  it('reported no console error, CSP violation or uncaught exception on any page', () => {
    expect(problems).toEqual([])
  })
})
