/**
 * The Worker as an operator relies on it, in workerd (Miniflare, with D1, R2, the queue and the
 * gate Durable Object), against the reference server on 127.0.0.1: a drift, a partial run, an
 * outage, a recovery and a fix, in that order, and exactly the webhooks each must fire, signed.
 * Each step reproduces a defect of the Worker before issue 17 (named in the test).
 */
import type { Miniflare } from 'miniflare'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { listen, type RunningServer } from '../fixtures/serve.ts'
import { createReferenceServer } from '../src/reference-server/app.ts'
import { referenceTarget } from './_run.ts'
import { alertLines, signatureValid, webhookSink } from './_webhook.ts'
import { auth, cron, d1, ORIGIN, postRun, settled, worker } from './_worker.ts'

const SECRET = 'webhook-secret-for-the-test'
const HOUR = 3_600_000
const defects = new Set<string>()
let app: Awaited<ReturnType<typeof createReferenceServer>>
let server: RunningServer
let port = 0
let sink: Awaited<ReturnType<typeof webhookSink>>
let mf: Miniflare
const t0 = Date.now()

/** The alerts received so far, each as "kind case" lines. */
const received = () => alertLines(sink.deliveries)

async function failing(): Promise<string[]> {
  const { targets } = (await (await mf.dispatchFetch(`${ORIGIN}/api/targets`, { headers: auth })).json()) as { targets: Array<{ failing: Array<{ case: string }> }> }
  return targets[0]!.failing.map((f) => f.case)
}

beforeAll(async () => {
  app = await createReferenceServer({ defects })
  server = await listen(app.fetch)
  port = Number(new URL(server.url).port)
  sink = await webhookSink()
  mf = worker({
    GRANTCHECK_TARGETS: JSON.stringify([{ ...referenceTarget(server.url), monitor: { everyMinutes: 60 } }]),
    MAX_SUBREQUESTS: '50',
    ALERT_WEBHOOK_URL: sink.url,
    WEBHOOK_SECRET: SECRET,
    PUBLIC_URL: 'https://grantcheck.example.test',
  })
}, 60_000)

afterAll(async () => {
  await mf?.dispose()
  await server?.close()
  await sink?.close()
})

describe('alerts follow state changes, whatever triggered the run', () => {
  it('a first scheduled run sets the baseline and alerts nothing', async () => {
    await cron(mf, t0)
    const runs = await settled(mf)
    expect(runs.map((r) => [r.trigger, r.status])).toEqual([['schedule', 'done']])
    expect(sink.deliveries).toEqual([])
  }, 120_000)

  it('a manual run that finds a new failure alerts, once a confirming run saw it too (was: the manual run swallowed the drift)', async () => {
    defects.add('no-cache-headers')
    expect((await postRun(mf, { target: 'reference' })).status).toBe(202)
    const runs = await settled(mf)
    expect(runs.map((r) => r.trigger)).toEqual(['confirm', 'api', 'schedule'])
    // What the overview reads (issue 25): the newest finished run, and every finished run's counts in request order.
    const [latest] = await d1<{ run_id: string; recent: string }>(mf, 'SELECT run_id, recent FROM target_latest WHERE target = ?', 'reference')
    expect(latest!.run_id).toBe(runs[0]!.id)
    expect((JSON.parse(latest!.recent) as Array<{ id: string; counts: unknown }>).map((r) => [r.id, r.counts])).toEqual(runs.map((r) => [r.id, r.counts]))
    expect(received()).toEqual([['new-failure token-response/token-response-headers']])
    const alert = sink.deliveries[0]!
    expect(signatureValid(alert, SECRET)).toBe(true)
    expect(signatureValid({ ...alert, text: alert.text.replace('new-failure', 'fixed') }, SECRET)).toBe(false)
    expect(alert.headers['x-grantcheck-delivery']).toBe(alert.body.id)
    const c = alert.body.cases[0]
    expect(c).toMatchObject({ outcome: 'failed', level: 'MUST', requirement: { id: 'RFC6749-5.1', url: expect.stringContaining('rfc6749.html#section-5.1') } })
    expect(c.reason).toMatch(/must not be stored/)
    // The evidence is the confirming run's; the streak began with the manual run.
    expect(c.evidence).toBe(`https://grantcheck.example.test/runs/${runs[0]!.id}#t0-token-response-token-response-headers`)
    expect(c.failingSince).toBe((await d1<{ finished_at: string }>(mf, 'SELECT finished_at FROM runs WHERE id = ?', runs[1]!.id))[0]!.finished_at)
  }, 120_000)

  it('a partial run changes only the cases it ran: the failure stands (was: the target looked green)', async () => {
    expect((await postRun(mf, { target: 'reference', suites: ['metadata'] })).status).toBe(202)
    const runs = await settled(mf)
    expect(runs[0]!.counts).toMatchObject({ failed: 0 })
    expect(await failing()).toEqual(['token-response/token-response-headers'])
    expect(sink.deliveries).toHaveLength(1)
  }, 120_000)

  it('the next scheduled run does not alert the standing failure again (was: re-alerted as new)', async () => {
    await cron(mf, t0 + HOUR)
    await settled(mf)
    expect(sink.deliveries).toHaveLength(1)
  }, 120_000)

  it('an outage alerts when it begins, once, and its end alerts too; case states wait through it (was: no alert, then a false "new" one)', async () => {
    await server.close()
    await cron(mf, t0 + 2 * HOUR)
    const runs = await settled(mf)
    expect(runs[0]!.counts).toMatchObject({ errored: runs[0]!.counts!.errored, passed: 0, failed: 0 })
    await cron(mf, t0 + 3 * HOUR)
    await settled(mf)
    expect(received().slice(1)).toEqual([['target outage']])
    expect(sink.deliveries[1]!.body.targetChange.error).toMatch(/request failed|metadata discovery failed/)
    server = await listen(app.fetch, port)
    await cron(mf, t0 + 4 * HOUR)
    await settled(mf)
    expect(received().slice(1)).toEqual([['target outage'], ['target recovered']])
    expect(await failing()).toEqual(['token-response/token-response-headers'])
  }, 180_000)

  it('a fixed failure alerts as fixed', async () => {
    defects.delete('no-cache-headers')
    await postRun(mf, { target: 'reference', suites: ['token-response'] })
    await settled(mf)
    expect(received()).toEqual([['new-failure token-response/token-response-headers'], ['target outage'], ['target recovered'], ['fixed token-response/token-response-headers']])
    expect(await failing()).toEqual([])
    expect(sink.deliveries.every((d) => signatureValid(d, SECRET))).toBe(true)
    console.log(`webhooks observed: ${JSON.stringify(received())}`)
  }, 120_000)

  it('keeps every run, and the history of a case across them', async () => {
    const runs = await settled(mf)
    // Since issue 25 an outage, a recovery and a fix are confirmed too, each by a run of its own.
    expect(runs.map((r) => r.trigger)).toEqual(['confirm', 'api', 'confirm', 'schedule', 'schedule', 'confirm', 'schedule', 'schedule', 'api', 'confirm', 'api', 'schedule'])
    const h = (await (await mf.dispatchFetch(`${ORIGIN}/api/targets/reference/cases/token-response/token-response-headers`, { headers: auth })).json()) as {
      state: { state: string }
      history: Array<{ outcome: string }>
    }
    expect(h.state.state).toBe('passing')
    expect(h.history.map((x) => x.outcome)).toEqual(['passed', 'passed', 'failed', 'failed', 'errored', 'errored', 'errored', 'failed', 'failed', 'failed', 'passed'])
  }, 60_000)
})

describe('alert delivery', () => {
  let one: Miniflare
  let slack: Awaited<ReturnType<typeof webhookSink>>
  afterAll(async () => {
    await one?.dispose()
    await slack?.close()
  })

  it('retries a refused delivery until the receiver takes it, in Slack format when asked', async () => {
    slack = await webhookSink()
    slack.refuseNext(2)
    const down = await listen(() => new Response(null, { status: 204 }))
    const issuer = down.url
    await down.close()
    one = worker({
      GRANTCHECK_TARGETS: JSON.stringify([{ ...referenceTarget(issuer), limits: { timeoutMs: 500, runDeadlineMs: 5_000 } }]),
      ALERT_WEBHOOK_URL: slack.url,
      WEBHOOK_FORMAT: 'slack',
    })
    await postRun(one, { target: 'reference', suites: ['metadata'] })
    await settled(one)
    const until = Date.now() + 60_000
    while (!slack.deliveries.length && Date.now() < until) await new Promise((r) => setTimeout(r, 250))
    expect(slack.refused).toBe(2)
    expect(slack.deliveries).toHaveLength(1)
    expect(slack.deliveries[0]!.body.text).toBe('grantcheck: reference is down')
    expect(JSON.stringify(slack.deliveries[0]!.body.blocks)).toMatch(/:rotating_light: .*(request failed|discovery failed)/)
    const [alert] = await d1<{ attempts: number; delivered_at: string | null; last_error: string | null }>(one, 'SELECT attempts, delivered_at, last_error FROM alerts')
    expect(alert).toMatchObject({ attempts: 3, last_error: null })
    expect(alert!.delivered_at).toBeTruthy()
  }, 120_000)
})

describe('retention', () => {
  it('deletes runs and their reports older than RETENTION_DAYS', async () => {
    const short = worker({ GRANTCHECK_TARGETS: JSON.stringify([{ ...referenceTarget(server.url), monitor: { suites: ['metadata'] } }]), RETENTION_DAYS: '1' })
    try {
      const { id } = (await (await postRun(short, { target: 'reference' })).json()) as { id: string }
      await settled(short)
      expect((await short.dispatchFetch(`${ORIGIN}/api/runs/${id}/report`, { headers: auth })).status).toBe(200)
      await cron(short, Date.now() + 2 * 86_400_000)
      const runs = await settled(short)
      expect(runs.map((r) => r.trigger)).toEqual(['schedule'])
      expect((await short.dispatchFetch(`${ORIGIN}/api/runs/${id}/report`, { headers: auth })).status).toBe(404)
      const r2 = (await short.getR2Bucket('REPORTS')) as unknown as { list(): Promise<{ objects: Array<{ key: string }> }> }
      expect((await r2.list()).objects.map((o) => o.key)).toEqual([`reports/${runs[0]!.id}.json`])
    } finally {
      await short.dispose()
    }
  }, 120_000)
})
