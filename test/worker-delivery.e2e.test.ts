/**
 * Alert delivery in workerd (Miniflare, D1 and the queue), against a webhook receiver on
 * 127.0.0.1 that can be down or slow: one delivery chain per alert, claimed atomically in D1
 * (issue 25, "Deliveries multiply": each cron tick re-queued every undelivered alert, a retry
 * chain more each time, and concurrent deliveries of one alert each reached the receiver); an
 * alert refused for a day is given up; the schema's added columns on a fresh, a migrated and an
 * older database.
 */
import { readdirSync, readFileSync } from 'node:fs'
import type { Miniflare } from 'miniflare'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ROOT } from './_run.ts'
import { webhookSink } from './_webhook.ts'
import { auth, cron, d1, ORIGIN, worker } from './_worker.ts'

const HOUR = 3_600_000
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

type Sink = Awaited<ReturnType<typeof webhookSink>>

/** An alert row as finishRun writes it, created `ageMs` ago, and never queued (its message lost). */
async function lostAlert(mf: Miniflare, id: string, ageMs: number): Promise<void> {
  // The Worker creates its tables on first use.
  expect((await mf.dispatchFetch(`${ORIGIN}/api/alerts`, { headers: auth })).status).toBe(200)
  const at = new Date(Date.now() - ageMs).toISOString()
  const body = { event: 'grantcheck.alert', id, at, target: 'reference', run: { id: 'run', trigger: 'schedule', link: '/runs/run' }, targetChange: { change: 'outage', since: at }, cases: [] }
  await d1(mf, 'INSERT INTO alerts (id, target, run_id, created_at, body) VALUES (?, ?, ?, ?, ?)', id, 'reference', 'run', at, JSON.stringify(body))
}

const row = async (mf: Miniflare, id: string) =>
  (
    await d1<{ attempts: number; delivered_at: string | null; given_up_at: string | null; claimed_until: string | null }>(
      mf,
      'SELECT attempts, delivered_at, given_up_at, claimed_until FROM alerts WHERE id = ?',
      id,
    )
  )[0]!

const deliveriesOf = (sink: Sink, id: string) => sink.deliveries.filter((d) => d.headers['x-grantcheck-delivery'] === id).length

async function until(what: string, ok: () => Promise<boolean>, ms = 60_000): Promise<void> {
  const end = Date.now() + ms
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`not after ${ms} ms: ${what}`)
    await sleep(250)
  }
}

describe('one delivery chain per alert (issue 25)', () => {
  let sink: Sink
  let mf: Miniflare
  beforeAll(async () => {
    sink = await webhookSink()
    mf = worker({ ALERT_WEBHOOK_URL: sink.url })
  })
  afterAll(async () => {
    await mf?.dispose()
    await sink?.close()
  })

  it('reaches the receiver once after it was down across cron ticks, in a bounded number of attempts (was: a chain more each tick)', async () => {
    sink.refuseNext(1_000)
    await lostAlert(mf, 'down-then-up', HOUR)
    // The first tick finds the lost alert and starts its chain; the next ones find it claimed.
    await cron(mf, Date.now())
    await until('a first attempt', async () => (await row(mf, 'down-then-up')).attempts >= 1)
    const producer = await mf.getQueueProducer<{ kind: 'deliver'; alertId: string }>('RUNS')
    for (let tick = 0; tick < 5; tick++) {
      await sleep(2_000)
      await cron(mf, Date.now())
      // A queue's duplicate, too: the message a lost acknowledgement sends again.
      if (tick === 2) await producer.send({ kind: 'deliver', alertId: 'down-then-up' })
    }
    const down = await row(mf, 'down-then-up')
    expect(down.delivered_at).toBeNull()
    expect(down.claimed_until).toBeTruthy()
    sink.refuseNext(0)
    await until('the delivery', async () => (await row(mf, 'down-then-up')).delivered_at !== null)
    // Ticks after the delivery queue nothing more.
    await cron(mf, Date.now())
    await sleep(3_000)
    const done = await row(mf, 'down-then-up')
    const attempts = done.attempts
    console.log(`down across 6 ticks (about 12 s), then up: ${deliveriesOf(sink, 'down-then-up')} delivery, ${attempts} attempts, ${sink.refused} refused`)
    expect(deliveriesOf(sink, 'down-then-up')).toBe(1)
    expect(sink.refused).toBe(attempts - 1)
    // One chain, retried after 2, 4 and 8 s: its attempts in about 12 s of refusals, and the one that was taken.
    expect(attempts).toBeLessThanOrEqual(5)
    expect(done.claimed_until).toBeNull()
  }, 120_000)

  it('re-queues an alert whose chain was lost only once its claim has lapsed', async () => {
    sink.refuseNext(1_000)
    await lostAlert(mf, 'lapsed', HOUR)
    // A chain that died mid-attempt: its claim runs for 3 more seconds.
    await d1(mf, 'UPDATE alerts SET claimed_until = ? WHERE id = ?', new Date(Date.now() + 3_000).toISOString(), 'lapsed')
    await cron(mf, Date.now())
    await sleep(3_500)
    // Held, then lapsed for only a moment: not queued again.
    await cron(mf, Date.now())
    await sleep(1_500)
    expect((await row(mf, 'lapsed')).attempts).toBe(0)
    // Lapsed 15 minutes ago, as a tick 20 minutes on reads it: queued again, delivered once.
    sink.refuseNext(0)
    await cron(mf, Date.now() + 20 * 60_000)
    await until('the delivery', async () => (await row(mf, 'lapsed')).delivered_at !== null)
    expect(deliveriesOf(sink, 'lapsed')).toBe(1)
    expect((await row(mf, 'lapsed')).attempts).toBe(1)
  }, 60_000)

  it('gives up an alert refused for a day, shows it on /alerts, and queues it no more', async () => {
    sink.refuseNext(1_000)
    await lostAlert(mf, 'a-day-old', 25 * HOUR)
    await cron(mf, Date.now())
    await until('given up', async () => (await row(mf, 'a-day-old')).given_up_at !== null)
    await cron(mf, Date.now() + HOUR)
    await sleep(3_000)
    expect(await row(mf, 'a-day-old')).toMatchObject({ attempts: 1, delivered_at: null, claimed_until: null })
    const page = await (await mf.dispatchFetch(`${ORIGIN}/alerts`, { headers: auth })).text()
    expect(page).toMatch(/given up [0-9T:.-]+Z, not delivered \(1 attempt\(s\): HTTP 503\)/)
    const api = (await (await mf.dispatchFetch(`${ORIGIN}/api/alerts`, { headers: auth })).json()) as { alerts: Array<{ id: string; givenUpAt?: string }> }
    expect(api.alerts.find((a) => a.id === 'a-day-old')!.givenUpAt).toBeTruthy()
    sink.refuseNext(0)
  }, 60_000)
})

describe('three concurrent deliveries of one alert', () => {
  let slow: Sink
  let mf: Miniflare
  afterAll(async () => {
    await mf?.dispose()
    await slow?.close()
  })

  it('reach the receiver once (was: three times)', async () => {
    // A receiver that takes a second to answer, so the three attempts would overlap.
    slow = await webhookSink({ delayMs: 1_000 })
    mf = worker({ ALERT_WEBHOOK_URL: slow.url })
    await lostAlert(mf, 'raced', 0)
    // Three consumer invocations at once, as three queue consumers would run them.
    const w = (await mf.getWorker()) as unknown as { queue(queue: string, messages: Array<{ id: string; timestamp: Date; body: unknown; attempts: number }>): Promise<unknown> }
    await Promise.all([1, 2, 3].map((n) => w.queue('grantcheck-runs', [{ id: `m${n}`, timestamp: new Date(), body: { kind: 'deliver', alertId: 'raced' }, attempts: 1 }])))
    await until('the delivery', async () => (await row(mf, 'raced')).delivered_at !== null, 20_000)
    await sleep(1_500)
    console.log(`three concurrent deliveries of one alert: ${deliveriesOf(slow, 'raced')} reached the receiver, ${(await row(mf, 'raced')).attempts} attempt(s)`)
    expect(deliveriesOf(slow, 'raced')).toBe(1)
    expect((await row(mf, 'raced')).attempts).toBe(1)
  }, 60_000)
})

describe('the added columns (migration 0006)', () => {
  // Comment lines first (they may hold a ";"), then one statement per ";".
  const statements = (file: string) =>
    readFileSync(`${ROOT}/migrations/${file}`, 'utf8')
      .replace(/^\s*--.*$/gm, '')
      .split(';')
      .map((s) => s.trim())
      .filter(Boolean)
  const files = readdirSync(`${ROOT}/migrations`)
    .filter((f) => /^\d{4}_.*\.sql$/.test(f))
    .sort()

  for (const [name, applied] of [
    ['a database migrated to the end (the columns there before the Worker starts)', files],
    ['a database migrated before 0006 (the Worker adds the columns)', files.filter((f) => f < '0006')],
    ['a fresh database (the Worker creates everything)', []],
  ] as const) {
    it(`works on ${name}`, async () => {
      const mf = worker({})
      try {
        for (const f of applied) for (const s of statements(f)) await d1(mf, s)
        expect((await mf.dispatchFetch(`${ORIGIN}/api/alerts`, { headers: auth })).status).toBe(200)
        const columns = (await d1<{ name: string }>(mf, "SELECT name FROM pragma_table_info('alerts')")).map((c) => c.name)
        expect(columns).toEqual(expect.arrayContaining(['claimed_until', 'given_up_at']))
      } finally {
        await mf.dispose()
      }
    }, 30_000)
  }
})
