/**
 * The Worker under load, in workerd: parallel run requests against one tenant are one run, the
 * others answered with it (was: ten full runs, 1,310 requests at the tenant in 8.2 s; before the
 * gate they were sent at once, and the history kept 7 of 10), and a
 * cron over 50 targets fans out through the queue with every invocation inside a 50-subrequest
 * budget (was: one invocation ran every target and needed 88 subrequests for one).
 */
import type { Miniflare } from 'miniflare'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { listen, type RunningServer } from '../fixtures/serve.ts'
import { createReferenceServer } from '../src/reference-server/app.ts'
import { referenceTarget } from './_run.ts'
import { cron, d1, postRun, settled, worker } from './_worker.ts'

let server: RunningServer
/** Requests the tenant is answering at this moment, and the most it ever answered at once. */
const tenant = { inFlight: 0, maxInFlight: 0, requests: 0 }

beforeAll(async () => {
  const app = await createReferenceServer()
  server = await listen(async (req) => {
    tenant.requests++
    tenant.maxInFlight = Math.max(tenant.maxInFlight, ++tenant.inFlight)
    try {
      return await app.fetch(req)
    } finally {
      tenant.inFlight--
    }
  })
})
afterAll(() => server?.close())

describe('ten run requests at once against one tenant', () => {
  let mf: Miniflare
  afterAll(() => mf?.dispose())

  it('start one run, answer the others with it, and never put more than the target allows on the tenant at once (issue 25)', async () => {
    const target = { ...referenceTarget(server.url), limits: { concurrency: 2 }, monitor: { concurrency: 1 } }
    mf = worker({ GRANTCHECK_TARGETS: JSON.stringify([target]) })
    Object.assign(tenant, { maxInFlight: 0, requests: 0 })
    const started = performance.now()
    const answers = await Promise.all(Array.from({ length: 10 }, () => postRun(mf, { target: 'reference' })))
    const acceptedMs = performance.now() - started
    expect(answers.map((a) => a.status).sort()).toEqual([...Array(9).fill(200), 202])
    const bodies = await Promise.all(answers.map(async (a) => (await a.json()) as { id: string; merged: boolean }))
    expect(new Set(bodies.map((b) => b.id)).size).toBe(1)
    expect(bodies.filter((b) => b.merged)).toHaveLength(9)
    const runs = await settled(mf, 240_000)
    console.log(
      `10 parallel run requests: answered in ${acceptedMs.toFixed(0)} ms (1 run, 9 merged into it), done after ${((performance.now() - started) / 1000).toFixed(1)} s; ${tenant.requests} requests at the tenant, at most ${tenant.maxInFlight} at once`,
    )
    expect(runs.map((r) => r.id)).toEqual([bodies[0]!.id])
    expect(runs.every((r) => r.status === 'done' && r.counts!.failed === 0 && r.counts!.errored === 0)).toBe(true)
    expect(tenant.maxInFlight).toBeLessThanOrEqual(2)
    // One full run's requests (157 against the reference server), not ten runs'.
    expect(tenant.requests).toBeGreaterThan(80)
    expect(tenant.requests).toBeLessThan(2 * 157)
  }, 300_000)
})

describe('a cron over 50 targets with a budget of 50 subrequests per invocation', () => {
  let mf: Miniflare
  afterAll(() => mf?.dispose())

  it('queues one run per target and runs each within the budget, every invocation included', async () => {
    const targets = Array.from({ length: 50 }, (_, i) => ({ ...referenceTarget(server.url), name: `tenant-${String(i).padStart(2, '0')}`, monitor: { suites: ['token-response', 'metadata'] } }))
    mf = worker({ GRANTCHECK_TARGETS: JSON.stringify(targets), MAX_SUBREQUESTS: '50' })
    const started = performance.now()
    await cron(mf, Date.now())
    const runs = await settled(mf, 240_000)
    expect(runs).toHaveLength(50)
    expect(new Set(runs.map((r) => r.target)).size).toBe(50)
    expect(runs.every((r) => r.status === 'done' && r.counts!.errored === 0 && r.counts!.passed > 0)).toBe(true)
    const invocations = await d1<{ kind: string; subrequests: number; ops: number }>(mf, 'SELECT kind, subrequests, ops FROM invocations')
    const byKind = (k: string) => invocations.filter((i) => i.kind === k)
    const most = (k: string) => Math.max(...byKind(k).map((i) => i.subrequests + i.ops))
    console.log(
      `50-target fan-out: ${invocations.length} invocations in ${((performance.now() - started) / 1000).toFixed(1)} s; most subrequests + binding calls in one: cron ${most('schedule')}, part ${most('part')}, completion ${most('finalize')}`,
    )
    expect(byKind('schedule')).toHaveLength(1)
    expect(byKind('part')).toHaveLength(50)
    expect(byKind('finalize')).toHaveLength(50)
    expect(invocations.filter((i) => i.subrequests + i.ops > 50)).toEqual([])
    // Re-running the cron at once queues nothing: every target ran within its schedule.
    await cron(mf, Date.now())
    expect(await settled(mf)).toHaveLength(50)
  }, 300_000)

  it('splits a full run into parts that each fit the budget', async () => {
    const one = worker({ GRANTCHECK_TARGETS: JSON.stringify([referenceTarget(server.url)]), MAX_SUBREQUESTS: '50' })
    try {
      const res = await postRun(one, { target: 'reference' })
      const { parts } = (await res.json()) as { parts: number }
      expect(parts).toBeGreaterThan(1)
      const [run] = await settled(one)
      expect(run!.counts).toMatchObject({ failed: 0, errored: 0 })
      const spent = await d1<{ subrequests: number; ops: number }>(one, "SELECT subrequests, ops FROM invocations WHERE kind = 'part'")
      expect(spent).toHaveLength(parts)
      expect(spent.filter((s) => s.subrequests + s.ops > 50)).toEqual([])
      console.log(`full run with a budget of 50: ${parts} parts, ${spent.map((s) => s.subrequests + s.ops).join(' + ')} subrequests and binding calls`)
    } finally {
      await one.dispose()
    }
  }, 120_000)
})

describe('the gate of a target', () => {
  let mf: Miniflare
  afterAll(() => mf?.dispose())

  it('lets `limit` holders through at once, in arrival order, and reopens on release or when a lease expires', async () => {
    mf = worker({ GRANTCHECK_TARGETS: '[]' })
    const ns = (await mf.getDurableObjectNamespace('GATE')) as unknown as { idFromName(n: string): unknown; get(id: unknown): { fetch(u: string): Promise<Response> } }
    const gate = ns.get(ns.idFromName('tenant'))
    const acquire = async (holder: string, ttlMs: number, waitMs: number) =>
      ((await (await gate.fetch(`https://gate/acquire?holder=${holder}&limit=1&ttlMs=${ttlMs}&waitMs=${waitMs}`)).json()) as { granted: boolean }).granted
    const order: string[] = []
    expect(await acquire('a', 60_000, 0)).toBe(true)
    const b = acquire('b', 60_000, 20_000).then((g) => (order.push('b'), g))
    const c = acquire('c', 1_000, 20_000).then((g) => (order.push('c'), g))
    // Nobody else gets in while "a" holds the gate, and a short wait gives up.
    expect(await acquire('x', 60_000, 300)).toBe(false)
    expect(order).toEqual([])
    await (await gate.fetch('https://gate/release?holder=a')).text()
    expect(await b).toBe(true)
    expect(order).toEqual(['b'])
    await (await gate.fetch('https://gate/release?holder=b')).text()
    expect(await c).toBe(true)
    // "c" never releases: its one-second lease expires and the next one gets in.
    expect(await acquire('d', 60_000, 10_000)).toBe(true)
    expect(order).toEqual(['b', 'c'])
  }, 60_000)
})
