/**
 * Runs that respect the tenant and a watched watcher (issue 25), in workerd: run requests a
 * pending run covers are answered with it (was: ten requests were ten full runs, 1,310 requests at
 * one tenant in 8.2 s), the runs one caller starts are limited, a cron tick with a time in the
 * future cannot stop a schedule (was: it stopped it until that time), and a target no run finished
 * for within twice its schedule is overdue everywhere an operator looks, alerts once and once when
 * it is back, while each tick pings a heartbeat address.
 */
import type { Miniflare } from 'miniflare'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { listen, type RunningServer } from '../fixtures/serve.ts'
import { createReferenceServer } from '../src/reference-server/app.ts'
import { referenceTarget } from './_run.ts'
import { webhookSink } from './_webhook.ts'
import { auth, cron, d1, ORIGIN, postRun, settled, worker } from './_worker.ts'

const HOUR = 3_600_000
let server: RunningServer
const tenant = { requests: 0 }
/** While set, the tenant answers nothing: a run stays pending while the test asks for more. */
let held: { promise: Promise<void>; release: () => void } | undefined

function hold(): void {
  let release = () => {}
  const promise = new Promise<void>((r) => (release = r))
  held = { promise, release }
}
function release(): void {
  held?.release()
  held = undefined
}

beforeAll(async () => {
  const app = await createReferenceServer()
  server = await listen(async (req) => {
    tenant.requests++
    if (held) await held.promise
    return app.fetch(req)
  })
})
afterAll(() => server?.close())

/** Waits until `done()` holds (a delivery goes through the queue after the tick), or throws after `ms`. */
async function until(done: () => boolean, ms = 20_000): Promise<void> {
  for (const end = Date.now() + ms; !done(); await new Promise((r) => setTimeout(r, 100))) if (Date.now() > end) throw new Error('timed out')
}
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms))

const target = (monitor: Record<string, unknown>) => ({ ...referenceTarget(server.url), monitor })
const json = async (res: { json(): Promise<unknown> }) => (await res.json()) as Record<string, unknown>

describe('run requests a pending run covers', () => {
  let mf: Miniflare
  afterAll(() => mf?.dispose())

  it('are answered with that run: ten at once start one, the others are merged into it (issue 25)', async () => {
    mf = worker({ GRANTCHECK_TARGETS: JSON.stringify([target({ suites: ['metadata', 'token-response'] })]) })
    tenant.requests = 0
    hold()
    const answers = await Promise.all(Array.from({ length: 10 }, () => postRun(mf, { target: 'reference' })))
    const bodies = await Promise.all(answers.map(json))
    expect(answers.map((a) => a.status).sort()).toEqual([200, 200, 200, 200, 200, 200, 200, 200, 200, 202])
    const id = bodies.find((b) => b.merged === false)!.id
    expect(bodies.every((b) => b.id === id)).toBe(true)
    expect(bodies.filter((b) => b.merged === true)).toHaveLength(9)

    // Still pending: a request for fewer suites is covered, one for another suite is not.
    const covered = await postRun(mf, { target: 'reference', suites: ['metadata'] })
    expect(covered.status).toBe(200)
    expect(await json(covered)).toMatchObject({ id, merged: true, statusUrl: `/api/runs/${id}` })
    const other = await postRun(mf, { target: 'reference', suites: ['scope'] })
    expect(other.status).toBe(202)
    const otherId = (await json(other)).id
    expect(otherId).not.toBe(id)
    // The dashboard's "Run now" (here with the run token) is answered with the pending run too.
    const runNow = await mf.dispatchFetch(`${ORIGIN}/targets/reference/run`, { method: 'POST', headers: auth, redirect: 'manual' })
    expect(runNow.status).toBe(303)
    expect(runNow.headers.get('location')).toBe(`/targets/reference?queued=${id}`)

    release()
    const runs = await settled(mf)
    expect(runs.map((r) => r.id).sort()).toEqual([id, otherId].sort())
    expect(runs.every((r) => r.status === 'done' && r.counts!.errored === 0)).toBe(true)
    console.log(`12 run requests (10 at once), 1 "Run now": ${runs.length} runs, ${tenant.requests} requests at the tenant`)
    // Nothing pending any more: the next request starts a run.
    expect((await postRun(mf, { target: 'reference' })).status).toBe(202)
    await settled(mf)
  }, 120_000)
})

describe('the runs one caller may start', () => {
  let mf: Miniflare
  afterAll(() => mf?.dispose())

  it('are limited per target and window: 429 with Retry-After, other callers unaffected, merged requests never refused', async () => {
    mf = worker({ GRANTCHECK_TARGETS: JSON.stringify([target({ suites: ['metadata'] })]), RUN_LIMIT: '2', RUN_LIMIT_MINUTES: '10' })
    hold()
    expect((await postRun(mf, { target: 'reference', suites: ['metadata'] })).status).toBe(202)
    expect((await postRun(mf, { target: 'reference', suites: ['token-response'] })).status).toBe(202)
    const refused = await postRun(mf, { target: 'reference', suites: ['scope'] })
    expect(refused.status).toBe(429)
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(590)
    expect(Number(refused.headers.get('retry-after'))).toBeLessThanOrEqual(600)
    expect(String((await json(refused)).error)).toMatch(/too many runs: 2 of "reference" in 10 minutes/)
    // A request a pending run covers starts nothing: answered with that run, over the limit or not.
    expect(await json(await postRun(mf, { target: 'reference', suites: ['metadata'] }))).toMatchObject({ merged: true })

    // Another caller: a browser session (signed in with the run token), with its CSRF token.
    const login = await mf.dispatchFetch(`${ORIGIN}/login`, {
      method: 'POST',
      headers: { Origin: ORIGIN, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: `token=${auth.Authorization.slice(7)}`,
      redirect: 'manual',
    })
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!
    const page = await (await mf.dispatchFetch(`${ORIGIN}/`, { headers: { Cookie: cookie } })).text()
    const csrf = /name="csrf" value="([^"]+)"/.exec(page)![1]!
    const asSession = await mf.dispatchFetch(`${ORIGIN}/api/runs`, {
      method: 'POST',
      headers: { Cookie: cookie, Origin: ORIGIN, 'X-CSRF-Token': csrf, 'Content-Type': 'application/json' },
      body: JSON.stringify({ target: 'reference', suites: ['scope'] }),
    })
    expect(asSession.status).toBe(202)
    release()
    expect(await settled(mf)).toHaveLength(3)
    const recorded = await d1<{ requested_by: string }>(mf, 'SELECT requested_by FROM run_requests ORDER BY at')
    expect(recorded.map((r) => r.requested_by)).toEqual(['bearer:API token', 'bearer:API token', 'session:signed in with the run token'])
  }, 120_000)
})

describe('a cron tick with a time in the future', () => {
  let mf: Miniflare
  afterAll(() => mf?.dispose())

  it('runs what is due but never stops the schedule until that time (was: stopped for as long)', async () => {
    mf = worker({ GRANTCHECK_TARGETS: JSON.stringify([target({ everyMinutes: 60, suites: ['metadata'] })]) })
    await cron(mf, Date.now() + 10 * HOUR)
    expect(await settled(mf)).toHaveLength(1)
    const [state] = await d1<{ last_scheduled: string }>(mf, 'SELECT last_scheduled FROM target_state')
    expect(Date.parse(state!.last_scheduled)).toBeLessThanOrEqual(Date.now())
    // The next tick on the schedule, an hour from now: due (was: not before ten hours from now).
    await cron(mf, Date.now() + HOUR)
    expect(await settled(mf)).toHaveLength(2)
    // A time recorded in the future before the fix is no time at all: the next tick runs the target.
    await d1(mf, 'UPDATE target_state SET last_scheduled = ?', new Date(Date.now() + 10 * HOUR).toISOString())
    await cron(mf, Date.now())
    expect((await settled(mf)).map((r) => r.trigger)).toEqual(['schedule', 'schedule', 'schedule'])
    // And on time, nothing more: the schedule holds.
    await cron(mf, Date.now())
    expect(await settled(mf)).toHaveLength(3)
  }, 120_000)
})

describe('a target no run finished for within twice its schedule', () => {
  let mf: Miniflare
  let sink: Awaited<ReturnType<typeof webhookSink>>
  let beacon: RunningServer
  const pings: string[] = []
  afterAll(async () => {
    await mf?.dispose()
    await sink?.close()
    await beacon?.close()
  })

  const health = async () => {
    const res = await mf.dispatchFetch(`${ORIGIN}/healthz`)
    return { status: res.status, body: await json(res) }
  }
  const received = () => sink.deliveries.map((d) => `${d.body.target} ${d.body.targetChange?.change}`)

  it('is overdue on the dashboard, in /api/targets, /metrics and /healthz, alerts once and once when it is back; each tick pings the heartbeat', async () => {
    sink = await webhookSink()
    beacon = await listen((req) => {
      pings.push(`${req.method} ${new URL(req.url).pathname}`)
      return new Response(null, { status: 204 })
    })
    mf = worker({ GRANTCHECK_TARGETS: JSON.stringify([target({ everyMinutes: 30, suites: ['metadata'] })]), ALERT_WEBHOOK_URL: sink.url, HEARTBEAT_URL: `${beacon.url}/beat` })
    await cron(mf, Date.now())
    await settled(mf)
    expect(pings).toEqual(['GET /beat'])
    expect(await health()).toEqual({ status: 200, body: { status: 'ok', targets: 1, problems: 0, overdue: 0 } })

    // Its last run finished 61 minutes ago and nothing ran since (the queue stopped, say).
    const since = new Date(Date.now() - 61 * 60_000).toISOString()
    await d1(mf, 'UPDATE target_latest SET finished_at = ?', since)
    await cron(mf, Date.now())
    await until(() => sink.deliveries.length >= 1)
    expect(received()).toEqual(['reference overdue'])
    expect(sink.deliveries[0]!.body.targetChange).toEqual({ change: 'overdue', since })
    expect(await health()).toEqual({ status: 503, body: { status: 'degraded', targets: 1, problems: 0, overdue: 1 } })
    const metrics = await (await mf.dispatchFetch(`${ORIGIN}/metrics`, { headers: auth })).text()
    expect(metrics).toContain('grantcheck_target_overdue{target="reference"} 1')
    const { targets } = (await json(await mf.dispatchFetch(`${ORIGIN}/api/targets`, { headers: auth }))) as { targets: Array<Record<string, unknown>> }
    expect(targets[0]).toMatchObject({ overdue: true, overdueSince: since })
    const overview = await (await mf.dispatchFetch(`${ORIGIN}/`, { headers: auth })).text()
    expect(overview).toContain(`<td class="state-suspect">overdue</td><td>${since}</td>`)
    const badge = await (await mf.dispatchFetch(`${ORIGIN}/badge/reference.svg`, { headers: auth })).text()
    expect(badge).toContain('overdue')

    // Still overdue at the next tick: no second alert.
    await cron(mf, Date.now())
    await pause(1_500)
    expect(received()).toEqual(['reference overdue'])

    // A run finishes: the next tick says it is back, once.
    expect((await postRun(mf, { target: 'reference' })).status).toBe(202)
    await settled(mf)
    await cron(mf, Date.now())
    await until(() => sink.deliveries.length >= 2)
    await cron(mf, Date.now())
    await pause(1_500)
    expect(received()).toEqual(['reference overdue', 'reference resumed'])
    expect(sink.deliveries[1]!.body.targetChange).toEqual({ change: 'resumed', since })
    expect(await health()).toMatchObject({ status: 200, body: { status: 'ok', overdue: 0 } })
    expect((await mf.dispatchFetch(`${ORIGIN}/metrics`, { headers: auth }).then((r) => r.text())).includes('grantcheck_target_overdue{target="reference"} 0')).toBe(true)
    expect(pings).toEqual(Array(5).fill('GET /beat'))
    // The heartbeat is one subrequest of the tick's budget, recorded with it.
    const ticks = await d1<{ subrequests: number }>(mf, "SELECT subrequests FROM invocations WHERE kind = 'schedule'")
    expect(ticks.map((t) => t.subrequests)).toEqual([1, 1, 1, 1, 1])
  }, 120_000)
})
