/**
 * Flap damping (issue 25): a header that comes and goes paged six times in six runs, since the
 * confirming run followed within the second and saw the same answer. Here the reference server's
 * `Cache-Control`/`Pragma` headers (defect `no-cache-headers`) come and go between each scheduled
 * run and its confirmation, which now waits `confirmAfterMinutes` in the queue (`delaySeconds`):
 * no change is confirmed, nothing pages. A defect that stays is confirmed and pages once, and so
 * does its fix.
 */
import type { Miniflare } from 'miniflare'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { listen, type RunningServer } from '../fixtures/serve.ts'
import { createReferenceServer } from '../src/reference-server/app.ts'
import { referenceTarget } from './_run.ts'
import { alertLines, webhookSink } from './_webhook.ts'
import { auth, cron, d1, ORIGIN, settled, worker, type RunStatus } from './_worker.ts'

const HOUR = 3_600_000
/** 3 seconds: long enough to flip the header between a run and its confirmation. */
const CONFIRM_AFTER_MINUTES = 0.05
const CASE = 'token-response/token-response-headers'
const defects = new Set<string>()
let server: RunningServer
let sink: Awaited<ReturnType<typeof webhookSink>>
let mf: Miniflare
const t0 = Date.now()

const received = () => alertLines(sink.deliveries)

const setDefect = (on: boolean) => void (on ? defects.add('no-cache-headers') : defects.delete('no-cache-headers'))

async function runs(): Promise<RunStatus[]> {
  return ((await (await mf.dispatchFetch(`${ORIGIN}/api/runs?limit=100`, { headers: auth })).json()) as { runs: RunStatus[] }).runs
}

/** Fires the cron at `at` and waits until the scheduled run it queued is done (not its confirmation). */
async function tick(at: number): Promise<void> {
  const before = new Set((await runs()).map((r) => r.id))
  await cron(mf, at)
  const until = Date.now() + 60_000
  for (;;) {
    const scheduled = (await runs()).find((r) => !before.has(r.id) && r.trigger === 'schedule')
    if (scheduled?.status === 'done') return
    if (Date.now() > until) throw new Error('the scheduled run did not finish')
    await new Promise((r) => setTimeout(r, 100))
  }
}

beforeAll(async () => {
  const app = await createReferenceServer({ defects })
  server = await listen(app.fetch)
  sink = await webhookSink()
  const target = { ...referenceTarget(server.url), monitor: { everyMinutes: 60, suites: ['token-response'], confirmAfterMinutes: CONFIRM_AFTER_MINUTES } }
  mf = worker({ GRANTCHECK_TARGETS: JSON.stringify([target]), MAX_SUBREQUESTS: '50', ALERT_WEBHOOK_URL: sink.url })
}, 60_000)

afterAll(async () => {
  await mf?.dispose()
  await server?.close()
  await sink?.close()
})

describe('a header that comes and goes (issue 25)', () => {
  it('pages nobody across six cron ticks; a defect that stays pages once, and its fix once', async () => {
    await cron(mf, t0)
    await settled(mf)
    expect(received()).toEqual([])

    // Six ticks: the header is missing at ticks 1, 3 and 5, and back before each confirmation.
    for (let k = 1; k <= 6; k++) {
      setDefect(k % 2 === 1)
      await tick(t0 + k * HOUR)
      setDefect(k % 2 === 0)
      await settled(mf)
    }
    const flapping = await runs()
    const confirms = flapping.filter((r) => r.trigger === 'confirm')
    // Each failure (ticks 1, 3, 5) asked for a confirmation; each confirmation passed.
    expect(confirms).toHaveLength(3)
    expect(received()).toEqual([])
    // The confirmation waited in the queue, not a fraction of a second.
    const [timing] = await d1<{ requested_at: string; started_at: string }>(mf, 'SELECT requested_at, started_at FROM runs WHERE id = ?', confirms[0]!.id)
    expect(Date.parse(timing!.started_at) - Date.parse(timing!.requested_at)).toBeGreaterThanOrEqual(CONFIRM_AFTER_MINUTES * 60_000 - 500)
    const { state } = (await (await mf.dispatchFetch(`${ORIGIN}/api/targets/reference/cases/${CASE}`, { headers: auth })).json()) as { state: { state: string; flips: number } }
    expect(state).toMatchObject({ state: 'passing', flips: 3 })

    // The header goes and stays away: confirmed, one alert.
    setDefect(true)
    await tick(t0 + 7 * HOUR)
    await settled(mf)
    expect(received()).toEqual([[`new-failure ${CASE}`]])
    // And comes back for good: the fix is confirmed too, one alert.
    setDefect(false)
    await tick(t0 + 8 * HOUR)
    await settled(mf)
    expect(received()).toEqual([[`new-failure ${CASE}`], [`fixed ${CASE}`]])
    console.log(`flapping: 2 alerts expected (0 in the six flapping ticks), ${sink.deliveries.length} received: ${JSON.stringify(received())}`)
  }, 300_000)
})
