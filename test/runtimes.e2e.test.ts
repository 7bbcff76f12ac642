/**
 * The same engine under Deno, and the Worker as wrangler would deploy it.
 */
import { execFile } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createReferenceServer } from '../src/reference-server/app.ts'
import { listen, type RunningServer } from '../fixtures/serve.ts'
import { outcomes, referenceTarget, ROOT, runAgainst } from './_run.ts'

const run = promisify(execFile)
const QUIET = { ...process.env, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false', NO_COLOR: '1' }
let server: RunningServer

beforeAll(async () => {
  // A defect on, so that there are failures and warnings for the two runtimes to agree on.
  server = await listen((await createReferenceServer({ defects: ['no-cache-headers', 'issues-refresh-token'] })).fetch)
})
afterAll(() => server?.close())

describe('Deno', () => {
  it('runs the built-in suites with the same verdict for every case as Node', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'grantcheck-deno-')), 'target.json')
    writeFileSync(file, JSON.stringify(referenceTarget(server.url)))
    const started = performance.now()
    const deno = await run(join(ROOT, 'node_modules/.bin/deno'), ['run', '--allow-read', '--allow-env', '--allow-net', 'src/deno.ts', '--target', file, '--json'], { cwd: ROOT, env: QUIET }).catch((e: { stdout: string; code: number }) => e)
    console.log(`deno run: ${(performance.now() - started).toFixed(0)} ms`)
    const fromDeno = JSON.parse(deno.stdout) as { outcomes: Record<string, number>; cases: Record<string, string> }
    const node = await runAgainst(referenceTarget(server.url))
    expect(fromDeno.cases).toEqual(outcomes(node))
    expect(fromDeno.outcomes).toEqual(node.targets[0]!.summary.outcomes)
    expect(fromDeno.outcomes.failed).toBeGreaterThan(0)
  }, 60_000)
})

describe('wrangler', () => {
  it('bundles the Worker for deployment (deploy --dry-run), without nodejs_compat', async () => {
    const out = mkdtempSync(join(tmpdir(), 'grantcheck-wrangler-'))
    const { stdout, stderr } = await run(join(ROOT, 'node_modules/.bin/wrangler'), ['deploy', '--dry-run', '--outdir', out], { cwd: ROOT, env: QUIET })
    const text = stdout + stderr
    expect(text).toContain('--dry-run: exiting now')
    expect(text).toMatch(/Total Upload: [\d.]+ KiB \/ gzip: [\d.]+ KiB/)
    console.log(text.match(/Total Upload: .*/)![0])
    expect(text).not.toMatch(/nodejs_compat/)
  }, 120_000)
})
