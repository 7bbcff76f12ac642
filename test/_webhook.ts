/**
 * A webhook receiver for the Worker's alerts, on 127.0.0.1: it keeps every delivery with its
 * headers, can refuse the next ones (to prove retries), and checks signatures as a receiver would.
 */
import { createHmac, timingSafeEqual } from 'node:crypto'
import { Hono } from 'hono'
import { listen, type RunningServer } from '../fixtures/serve.ts'

export interface Delivery {
  headers: Record<string, string>
  text: string
  /** The parsed JSON: tests read it by path, as the receiver's code would. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- any alert shape (Slack's or ours), asserted on by the tests.
  body: any
}

/** `delayMs`: how long each answer takes (a slow receiver, so that deliveries can overlap). */
export async function webhookSink(options: { delayMs?: number } = {}): Promise<{ url: string; deliveries: Delivery[]; refuseNext(n: number): void; refused: number; close(): Promise<void> }> {
  const deliveries: Delivery[] = []
  let refuse = 0
  const state = { refused: 0 }
  const app = new Hono()
  app.post('/hook', async (c) => {
    const text = await c.req.text()
    if (options.delayMs) await new Promise((r) => setTimeout(r, options.delayMs))
    if (refuse > 0) {
      refuse--
      state.refused++
      return c.text('try again later', 503)
    }
    deliveries.push({ headers: Object.fromEntries(c.req.raw.headers), text, body: JSON.parse(text) })
    return c.body(null, 204)
  })
  const server: RunningServer = await listen(app.fetch)
  return {
    url: `${server.url}/hook`,
    deliveries,
    refuseNext: (n) => void (refuse = n),
    get refused() {
      return state.refused
    },
    close: () => server.close(),
  }
}

/** Whether `X-Grantcheck-Signature: t=…,v1=…` is the HMAC-SHA256 of "t.body" under `secret`. */
export function signatureValid(d: Delivery, secret: string): boolean {
  const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(d.headers['x-grantcheck-signature'] ?? '')
  if (!m) return false
  const expected = createHmac('sha256', secret).update(`${m[1]}.${d.text}`).digest()
  return timingSafeEqual(expected, Buffer.from(m[2]!, 'hex'))
}

/** What each delivery alerted, as lines: `target outage`, `new-failure <suite>/<case>`, … */
export function alertLines(deliveries: readonly Delivery[]): string[][] {
  return deliveries.map((d) => [...(d.body.targetChange ? [`target ${d.body.targetChange.change}`] : []), ...d.body.cases.map((c: { change: string; case: string }) => `${c.change} ${c.case}`)])
}
