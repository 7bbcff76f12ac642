/**
 * A receiver for the grantcheck Worker's alert webhook, in Node with no dependencies: it checks
 * the signature, refuses a stale one, and acts on each alert once.
 *
 * The Worker retries a delivery until it gets a 2xx answer, so a receiver may see one alert more
 * than once (its answer lost, or later than the Worker's 10 s timeout; one attempt at a time,
 * though, since issue 25): `X-Grantcheck-Delivery` is the
 * alert's id, the same on every attempt, and is what to de-duplicate on. Keep the ids somewhere
 * that survives a restart (a database, a file) in production; a Set shows the idea.
 *
 *   WEBHOOK_SECRET=... node --experimental-strip-types examples/webhook-receiver.ts
 */
import { createHmac, timingSafeEqual } from 'node:crypto'
import { createServer, type Server } from 'node:http'

/** How old a signature may be: a captured delivery replayed later is refused. */
const MAX_AGE_SECONDS = 300

/** Whether `header` (`t=<unix seconds>,v1=<hex>`) signs `body` with `secret`, and is recent. */
function verified(header: string | undefined, body: string, secret: string, nowSeconds = Math.floor(Date.now() / 1000)): boolean {
  const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header ?? '')
  if (!m || Math.abs(nowSeconds - Number(m[1])) > MAX_AGE_SECONDS) return false
  const expected = createHmac('sha256', secret).update(`${m[1]}.${body}`).digest()
  return timingSafeEqual(expected, Buffer.from(m[2]!, 'hex'))
}

export function receiver(secret: string, onAlert: (alert: unknown) => void): Server {
  const seen = new Set<string>()
  return createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8')
      if (!verified(req.headers['x-grantcheck-signature'] as string | undefined, body, secret)) {
        res.writeHead(401).end()
        return
      }
      const id = String(req.headers['x-grantcheck-delivery'] ?? '')
      // Answered 2xx either way: a repeat is not an error, and a refusal would be retried.
      if (id && !seen.has(id)) {
        seen.add(id)
        onAlert(JSON.parse(body))
      }
      res.writeHead(204).end()
    })
  })
}

if (process.argv[1]?.endsWith('webhook-receiver.ts')) {
  const secret = process.env.WEBHOOK_SECRET
  if (!secret) throw new Error('set WEBHOOK_SECRET to the Worker secret of the same name')
  receiver(secret, (alert) => console.log(JSON.stringify(alert))).listen(Number(process.env.PORT ?? 8790))
}
