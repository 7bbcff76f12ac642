/**
 * The request limits, over real HTTP on 127.0.0.1: no automatic redirects, a timeout that covers a
 * body that never ends, and a cap on how much body is read.
 */
import { Hono } from 'hono'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { closedUrl, listen, type RunningServer } from '../../fixtures/serve.ts'
import { send } from './http.ts'

let server: RunningServer
let elsewhereHits = 0
beforeAll(async () => {
  const app = new Hono()
  app.post('/redirect', (c) => c.redirect('/elsewhere', 307))
  app.all('/elsewhere', (c) => {
    elsewhereHits++
    return c.json({ access_token: 'leaked' })
  })
  app.post('/big', () => new Response('x'.repeat(200_000), { headers: { 'content-type': 'application/json' } }))
  app.post('/never-ends', () => {
    const body = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{"access_token":'))
      },
    })
    return new Response(body, { headers: { 'content-type': 'application/json' } })
  })
  server = await listen(app.fetch)
})
afterAll(() => server.close())

const limits = { timeoutMs: 500, maxResponseBytes: 10_000 }
const post = (path: string) => ({ method: 'POST', url: `${server.url}${path}`, headers: [] as Array<[string, string]>, body: 'grant_type=client_credentials' })

describe('send', () => {
  it('does not follow a redirect, so credentials are never re-sent elsewhere', async () => {
    const r = await send(fetch, post('/redirect'), limits, Date.now)
    expect(r.ok && r.response.status).toBe(307)
    expect(elsewhereHits).toBe(0)
  })

  it('stops reading at the size cap and marks the body truncated', async () => {
    const r = await send(fetch, post('/big'), limits, Date.now)
    if (!r.ok) throw new Error(r.error)
    expect(r.response.bytes).toBe(10_000)
    expect(r.response.truncated).toBe(true)
    expect(r.response.json).toBeUndefined()
  })

  it('gives up on a body that never ends, within the timeout', async () => {
    const started = Date.now()
    const r = await send(fetch, post('/never-ends'), limits, Date.now)
    expect(r.ok).toBe(false)
    expect(!r.ok && r.error).toBe('no complete response within 500 ms')
    expect(Date.now() - started).toBeLessThan(5_000)
  })

  it('reports a refused connection as an error, not an exception', async () => {
    const r = await send(fetch, { ...post('/'), url: `${await closedUrl()}/token` }, limits, Date.now)
    expect(r.ok).toBe(false)
    expect(!r.ok && r.error).toMatch(/^request failed: .*ECONNREFUSED/)
  })
})
