/**
 * A dead token endpoint is an outage (issue 25): with discovery, metadata and the key set
 * answering and `/token` hanging, a run judged a few metadata cases and errored every case that
 * asked for a token. Before, the target stayed "up", the badge said "passing", the up metric was 1
 * and nothing alerted, since only a run where every case errored counted as an outage.
 */
import type { Miniflare } from 'miniflare'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { listen, type RunningServer } from '../fixtures/serve.ts'
import { createReferenceServer } from '../src/reference-server/app.ts'
import { referenceTarget } from './_run.ts'
import { alertLines, webhookSink } from './_webhook.ts'
import { auth, cron, ORIGIN, settled, worker } from './_worker.ts'

const HOUR = 3_600_000
const t0 = Date.now()
let tokenDead = false
let server: RunningServer
let sink: Awaited<ReturnType<typeof webhookSink>>
let mf: Miniflare

const received = () => alertLines(sink.deliveries)

async function targetState(): Promise<{ state: string; error?: string }> {
  const { targets } = (await (await mf.dispatchFetch(`${ORIGIN}/api/targets`, { headers: auth })).json()) as { targets: Array<{ state: { state: string; error?: string } }> }
  return targets[0]!.state
}

beforeAll(async () => {
  const app = await createReferenceServer()
  // Everything answers but the token endpoint, which hangs while it is dead.
  server = await listen((req) => (tokenDead && new URL(req.url).pathname === '/token' ? new Promise<Response>(() => {}) : app.fetch(req)))
  sink = await webhookSink()
  const target = { ...referenceTarget(server.url), limits: { timeoutMs: 1_000 }, monitor: { everyMinutes: 60, suites: ['metadata', 'token-response', 'scope'] } }
  mf = worker({ GRANTCHECK_TARGETS: JSON.stringify([target]), MAX_SUBREQUESTS: '50', ALERT_WEBHOOK_URL: sink.url })
}, 60_000)

afterAll(async () => {
  await mf?.dispose()
  await server?.close()
  await sink?.close()
})

describe('a token endpoint that stops answering while discovery still does', () => {
  it('is an outage: the target goes down, alerts once with why, and recovers once', async () => {
    await cron(mf, t0)
    await settled(mf)
    expect(received()).toEqual([])

    tokenDead = true
    await cron(mf, t0 + HOUR)
    const [run] = await settled(mf)
    // Some cases were judged: the metadata answered.
    expect(run!.counts!.passed).toBeGreaterThan(0)
    expect(run!.counts!.errored).toBeGreaterThan(0)
    expect(received()).toEqual([['target outage']])
    expect(sink.deliveries[0]!.body.targetChange.error).toMatch(/^the token endpoint answered no case: /)
    expect(await targetState()).toMatchObject({ state: 'down' })
    const metrics = await (await mf.dispatchFetch(`${ORIGIN}/metrics`, { headers: auth })).text()
    expect(metrics).toMatch(/grantcheck_target_up\{target="reference"\} 0/)
    const badge = await (await mf.dispatchFetch(`${ORIGIN}/badge/reference.svg`, { headers: auth })).text()
    expect(badge).toContain('down')

    // Still dead an hour later: no second alert.
    await cron(mf, t0 + 2 * HOUR)
    await settled(mf)
    expect(received()).toEqual([['target outage']])

    tokenDead = false
    await cron(mf, t0 + 3 * HOUR)
    await settled(mf)
    expect(received()).toEqual([['target outage'], ['target recovered']])
    expect(await targetState()).toMatchObject({ state: 'up' })
  }, 240_000)
})
