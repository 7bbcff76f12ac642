/**
 * The HTML report as a person sees it, in Debian's headless Chromium (playwright-core; no browser
 * download). Two targets, one with defects, so there are failures and a comparison matrix. The
 * screenshot stays under reports/browser-test/ for a person to look at.
 */
import { existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { chromium, type Browser, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createReferenceServer } from '../src/reference-server/app.ts'
import { listen, type RunningServer } from '../fixtures/serve.ts'
import { executeRun, type Io } from '../src/cli/main.ts'
import { resolveTarget } from '../src/core/resolve.ts'
import { TargetSchema } from '../src/schema/target.ts'
import { builtinSuites, referenceTarget, ROOT } from './_run.ts'

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const OUT = join(ROOT, 'reports', 'browser-test')
// On a developer's machine without Chromium the test is skipped with this reason; CI installs it
// (.ci/run), and there a missing browser fails the test.
const missing = !existsSync(CHROMIUM) && !process.env.CI

let servers: RunningServer[] = []
let browser: Browser | undefined
let page: Page
let reportFile = ''

beforeAll(async () => {
  if (missing) return
  servers = [await listen((await createReferenceServer()).fetch), await listen((await createReferenceServer({ defects: ['no-cache-headers', 'invalid-client-400-without-www-authenticate'] })).fetch)]
  const targets = servers.map((s, i) => resolveTarget(TargetSchema.parse({ ...referenceTarget(s.url), name: i === 0 ? 'conformant' : 'defective' }), () => undefined, 'browser-test'))
  const lines: string[] = []
  const io: Io = { out: (l) => lines.push(l), err: (l) => lines.push(l), env: {}, color: false }
  mkdirSync(OUT, { recursive: true })
  await executeRun(targets, builtinSuites(), OUT, io)
  reportFile = join(ROOT, /Report: (\S+report\.html)/.exec(lines.join('\n'))![1]!)
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  })
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
  await page.goto(`file://${reportFile}`)
}, 120_000)

afterAll(async () => {
  await browser?.close()
  for (const s of servers) await s.close()
})

describe.skipIf(missing)(`the HTML report in Chromium (${CHROMIUM})`, () => {
  it('shows each target with its counts', async () => {
    await expect(page.getByRole('heading', { name: 'conformant', level: 2 }).isVisible()).resolves.toBe(true)
    const counts = page.locator('section.target').nth(1).locator('ul.counts')
    await expect(counts.innerText()).resolves.toMatch(/3\s+failed/)
  })

  it('opens failures, with the check that failed and its evidence', async () => {
    const failure = page.locator('section.target').nth(1).locator('details.case.failed').first()
    await expect(failure.evaluate((d) => (d as HTMLDetailsElement).open)).resolves.toBe(true)
    await expect(failure.locator('table.checks').isVisible()).resolves.toBe(true)
    await expect(failure.locator('pre').first().innerText()).resolves.toMatch(/POST .*\/token/)
    await expect(failure.locator('button.copy').first().isVisible()).resolves.toBe(true)
  })

  it('compares the targets in a matrix whose cells lead to the evidence', async () => {
    const row = page.locator('table.matrix tr', { hasText: 'The token response is JSON and must not be cached' })
    await expect(row.locator('td').nth(0).innerText()).resolves.toContain('passed')
    await expect(row.locator('td').nth(1).innerText()).resolves.toContain('failed')
    // A warning case is closed; following its matrix link opens it.
    const passedCell = page.locator('table.matrix tr', { hasText: 'typ at+jwt' }).locator('td a').nth(1)
    const href = (await passedCell.getAttribute('href'))!
    await page.locator(href).evaluate((d) => ((d as HTMLDetailsElement).open = false))
    await passedCell.click()
    await expect(page.locator(href).evaluate((d) => (d as HTMLDetailsElement).open)).resolves.toBe(true)
  })

  it('filters the matrix to where the targets differ', async () => {
    await page.evaluate(() => window.scrollTo(0, 0))
    await page.getByLabel(/Only the \d+ cases where the targets differ/).check()
    const visibleRows = await page.locator('table.matrix tbody tr').evaluateAll((rows) => rows.filter((r) => (r as HTMLElement).offsetParent !== null).length)
    expect(visibleRows).toBe(3)
    await page.screenshot({ path: join(OUT, 'report.png'), fullPage: false })
    expect(existsSync(join(OUT, 'report.png'))).toBe(true)
  })
})
