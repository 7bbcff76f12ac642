/**
 * The Worker in workerd (Miniflare, programmatic), built from the same bundle as a deploy, running
 * the reference server on 127.0.0.1 as its configured target.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { gzipSync } from 'node:zlib'
import { Hono } from 'hono'
import { Miniflare } from 'miniflare'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createReferenceServer } from '../src/reference-server/app.ts'
import { listen, type RunningServer } from '../fixtures/serve.ts'
import { ReportSchema } from '../src/schema/report.ts'
import { builtinSuites, referenceTarget, ROOT } from './_run.ts'

const builtinCount = builtinSuites().reduce((n, s) => n + s.cases.length, 0)

const TOKEN = 'test-api-token-0123456789'
const auth = { Authorization: `Bearer ${TOKEN}` }
const defects = new Set<string>()
/** Every token the reference server issued to the Worker and every assertion it received. */
const issued = new Set<string>()
const webhookCalls: unknown[] = []
let server: RunningServer
let webhook: RunningServer
let mf: Miniflare
let coldStartMs = 0

/** CPU seconds (user + system) used so far by the workerd processes Miniflare started (Linux /proc). */
function workerdCpuSeconds(): number | undefined {
  try {
    let ticks = 0
    for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
      let cmd = ''
      try {
        cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
      } catch {
        continue
      }
      if (!cmd.includes('workerd')) continue
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
      ticks += Number(fields[11]) + Number(fields[12])
    }
    return ticks / 100
  } catch {
    return undefined
  }
}

function miniflare(bindings: Record<string, string>): Miniflare {
  return new Miniflare({
    modules: true,
    scriptPath: `${ROOT}/dist/worker.mjs`,
    compatibilityDate: '2026-04-01',
    kvNamespaces: ['REPORTS'],
    bindings: { API_TOKEN: TOKEN, GRANTCHECK_TARGETS: JSON.stringify([referenceTarget(server.url)]), ...bindings },
  })
}

beforeAll(async () => {
  server = await listen((await createReferenceServer({ defects, onSecret: (v) => issued.add(v) })).fetch)
  const hook = new Hono()
  hook.post('/hook', async (c) => {
    webhookCalls.push(await c.req.json())
    return c.body(null, 204)
  })
  webhook = await listen(hook.fetch)
  const started = performance.now()
  mf = miniflare({ DRIFT_WEBHOOK_URL: `${webhook.url}/hook` })
  await (await mf.dispatchFetch('http://grantcheck.test/healthz')).text()
  coldStartMs = performance.now() - started
}, 60_000)

afterAll(async () => {
  await mf?.dispose()
  await server?.close()
  await webhook?.close()
})

describe('the Worker in workerd', () => {
  it('answers /healthz without a token and refuses everything else without the right one', async () => {
    console.log(`worker cold start to first response: ${coldStartMs.toFixed(0)} ms`)
    expect((await mf.dispatchFetch('http://grantcheck.test/healthz')).status).toBe(200)
    const none = await mf.dispatchFetch('http://grantcheck.test/api/targets')
    expect(none.status).toBe(401)
    expect(none.headers.get('www-authenticate')).toContain('Bearer')
    expect((await mf.dispatchFetch('http://grantcheck.test/', { headers: { Authorization: 'Bearer wrong' } })).status).toBe(401)
    const targets = await mf.dispatchFetch('http://grantcheck.test/api/targets', { headers: auth })
    expect(await targets.json()).toEqual([expect.objectContaining({ name: 'reference', clients: expect.arrayContaining(['primary', 'jwt']) })])
    expect(await (await mf.dispatchFetch('http://grantcheck.test/api/targets', { headers: auth })).text()).not.toContain('primary-secret')
  })

  it('refuses run requests that carry a URL, name no configured target, or are too large', async () => {
    const post = (body: string) => mf.dispatchFetch('http://grantcheck.test/api/runs', { method: 'POST', headers: { ...auth, 'Content-Type': 'application/json' }, body })
    const withUrl = await post(JSON.stringify({ target: 'reference', issuer: 'http://169.254.169.254/' }))
    expect(withUrl.status).toBe(400)
    expect(((await withUrl.json()) as { error: string }).error).toContain('only { "target", "suites" } are accepted')
    const unknown = await post(JSON.stringify({ target: 'http://169.254.169.254/' }))
    expect(unknown.status).toBe(404)
    expect((await post(JSON.stringify({ target: 'reference', suites: ['x'.repeat(5000)] }))).status).toBe(413)
  })

  it('runs a configured target through the API and serves the stored report as JSON, JUnit, Markdown and HTML', async () => {
    const started = performance.now()
    const cpuBefore = workerdCpuSeconds()
    const res = await mf.dispatchFetch('http://grantcheck.test/api/runs', { method: 'POST', headers: { ...auth, 'Content-Type': 'application/json' }, body: JSON.stringify({ target: 'reference' }) })
    const runMs = performance.now() - started
    const cpuAfter = workerdCpuSeconds()
    if (cpuBefore !== undefined && cpuAfter !== undefined) console.log(`one full run inside workerd: ${((cpuAfter - cpuBefore) * 1000).toFixed(0)} ms of workerd CPU time`)
    expect(res.status).toBe(201)
    const created = (await res.json()) as { id: string; summary: Record<string, number> }
    console.log(`one full run inside workerd (80 cases): ${runMs.toFixed(0)} ms wall time`)
    expect(created.summary.failed).toBe(0)
    expect(created.summary.passed).toBeGreaterThan(60)
    const json = await (await mf.dispatchFetch(`http://grantcheck.test/api/runs/${created.id}`, { headers: auth })).json()
    const report = ReportSchema.parse(json)
    expect(report.targets[0]!.cases).toHaveLength(builtinCount)
    expect(JSON.stringify(report)).not.toContain('primary-secret-7Hq2xW9vLm4K')
    expect(await (await mf.dispatchFetch(`http://grantcheck.test/api/runs/${created.id}?format=junit`, { headers: auth })).text()).toMatch(/^<\?xml/)
    expect(await (await mf.dispatchFetch(`http://grantcheck.test/api/runs/${created.id}?format=md`, { headers: auth })).text()).toContain('## grantcheck: reference')
    const html = await mf.dispatchFetch(`http://grantcheck.test/runs/${created.id}`, { headers: auth })
    expect(html.headers.get('content-type')).toContain('text/html')
    expect(await html.text()).toContain('<h2 id="target-reference">reference</h2>')
  }, 60_000)

  it('runs every target on schedule, stores the runs, and flags drift after a defect appears', async () => {
    // Miniflare's own types do not resolve here; these are the two calls the test makes.
    const worker = (await mf.getWorker()) as unknown as { scheduled(event: { cron: string }): Promise<unknown> }
    await worker.scheduled({ cron: '0 * * * *' })
    defects.add('no-cache-headers')
    try {
      await worker.scheduled({ cron: '0 * * * *' })
    } finally {
      defects.delete('no-cache-headers')
    }
    const dashboard = await (await mf.dispatchFetch('http://grantcheck.test/', { headers: auth })).text()
    expect(dashboard).toContain('1 new failure(s) since the previous run')
    const kv = (await mf.getKVNamespace('REPORTS')) as unknown as { get(key: string): Promise<string | null> }
    const index = JSON.parse((await kv.get('index:reference'))!) as Array<{ id: string; newFailures: number }>
    expect(index[0]!.newFailures).toBe(1)
    expect(index[1]!.newFailures).toBe(0)
    expect(webhookCalls).toEqual([{ event: 'grantcheck.drift', targets: [{ target: 'reference', runId: index[0]!.id, newFailures: 1 }] }])
  }, 60_000)

  it('refuses a run that would exceed the subrequest limit, with what to do instead', async () => {
    const small = miniflare({ MAX_SUBREQUESTS: '50' })
    try {
      const post = (body: unknown) => small.dispatchFetch('http://grantcheck.test/api/runs', { method: 'POST', headers: { ...auth, 'Content-Type': 'application/json' }, body: JSON.stringify(body) })
      const refused = await post({ target: 'reference' })
      expect(refused.status).toBe(422)
      expect(((await refused.json()) as { error: string }).error).toMatch(/needs up to \d+ subrequests and the Worker may make 50/)
      expect((await post({ target: 'reference', suites: ['scope', 'token-response'] })).status).toBe(201)
    } finally {
      await small.dispose()
    }
  }, 60_000)
})

describe('what the Worker stores', () => {
  it('holds no client secret, private key parameter, assertion or issued token in any KV value', async () => {
    const kv = (await mf.getKVNamespace('REPORTS')) as unknown as { list(): Promise<{ keys: Array<{ name: string }> }>; get(k: string): Promise<string | null> }
    const values = await Promise.all((await kv.list()).keys.map((k) => kv.get(k.name)))
    const stored = values.join('\n')
    expect(stored.length).toBeGreaterThan(100_000)
    const target = referenceTarget(server.url)
    const secrets = [
      ...Object.values(target.clients).flatMap((c) => [c.clientSecret, ...(typeof c.privateJwk === 'string' ? ['d', 'p', 'q'].map((k) => JSON.parse(c.privateJwk as string)[k]) : [])]),
      ...issued,
    ].filter((v): v is string => typeof v === 'string' && v.length >= 8)
    expect(issued.size).toBeGreaterThan(50)
    const leaks = secrets.filter((v) => [v, encodeURIComponent(v), btoa(unescape(encodeURIComponent(v)))].some((f) => stored.includes(f)))
    expect(leaks.map((l) => l.slice(0, 10))).toEqual([])
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
})
