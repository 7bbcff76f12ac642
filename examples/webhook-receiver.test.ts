/**
 * The documented webhook receiver against deliveries signed as the Worker signs them
 * (src/worker/alerts.ts): one alert delivered twice is acted on once; a wrong, stale or missing
 * signature is refused.
 */
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { signature } from '../src/worker/alerts.ts'
import { receiver } from './webhook-receiver.ts'

const SECRET = 'receiver-test-secret'
const alerts: unknown[] = []
const server = receiver(SECRET, (a) => alerts.push(a))
let url = ''

beforeAll(async () => {
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
})
afterAll(() => server.close())

async function deliver(id: string, body: string, sig: string | undefined): Promise<number> {
  const headers: Record<string, string> = { 'Content-Type': 'application/json', 'X-Grantcheck-Delivery': id }
  if (sig) headers['X-Grantcheck-Signature'] = sig
  return (await fetch(url, { method: 'POST', headers, body })).status
}

it('acts on an alert once however often it is delivered, and refuses what the Worker did not sign', async () => {
  const body = JSON.stringify({ event: 'grantcheck.alert', id: 'r1-alert', cases: [] })
  const now = Math.floor(Date.now() / 1000)
  const sig = await signature(SECRET, body, now)
  expect(await deliver('r1-alert', body, sig)).toBe(204)
  expect(await deliver('r1-alert', body, await signature(SECRET, body, now + 1))).toBe(204)
  expect(alerts).toEqual([JSON.parse(body)])
  expect(await deliver('r2-alert', body, await signature('another-secret', body, now))).toBe(401)
  expect(await deliver('r2-alert', `${body} `, sig)).toBe(401)
  expect(await deliver('r2-alert', body, await signature(SECRET, body, now - 3_600))).toBe(401)
  expect(await deliver('r2-alert', body, undefined)).toBe(401)
  expect(alerts).toHaveLength(1)
})
