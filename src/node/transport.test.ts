/**
 * The CLI's node:http transport over real HTTP on 127.0.0.1: what it sends, what it hands back,
 * and the rules `send` relies on (no redirects, the signal covers the body, the size cap).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { closedUrl, stallingTls } from '../../fixtures/serve.ts'
import { send, type SendInit } from '../core/http.ts'
import { createNodeTransport } from './transport.ts'

interface Seen {
  method?: string
  headers: IncomingMessage['headers']
  body: string
  port: number
}
const seen: Seen[] = []
let elsewhereHits = 0
const routes: Record<string, (req: IncomingMessage, res: ServerResponse) => void> = {
  '/echo': (_req, res) => {
    res.setHeader('Content-Type', 'application/json')
    // Two Cache-Control lines, as some servers send them: read as one combined value.
    res.setHeader('Cache-Control', ['no-store', 'no-cache'])
    res.end('{"access_token":"abc","token_type":"Bearer"}')
  },
  '/redirect': (_req, res) => res.writeHead(307, { Location: '/elsewhere' }).end(),
  '/elsewhere': (_req, res) => {
    elsewhereHits++
    res.end('{}')
  },
  '/big': (_req, res) => res.end('x'.repeat(200_000)),
  '/never-ends': (_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json' })
    res.write('{"access_token":')
  },
  '/no-headers': () => {},
  // The connection ends after a short body: the read must fail, not pass off the part as whole.
  '/short-body': (_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': '100' })
    res.write('{"access_token":"ab')
    setTimeout(() => res.socket?.destroy(), 10)
  },
  // An informational response first (103 Early Hints), then the real one.
  '/early-hints': (_req, res) => {
    res.writeEarlyHints({ link: '</x.css>; rel=preload' })
    res.end('{"ok":true}')
  },
  // The server drops its kept-alive connection right after answering.
  '/then-close': (req, res) => {
    const socket = req.socket
    res.end('{}', () => setTimeout(() => socket.destroy(), 5))
  },
}

let server: Server
let base: string
beforeAll(async () => {
  server = createServer((req, res) => {
    let body = ''
    req.setEncoding('utf8')
    req.on('data', (chunk: string) => (body += chunk))
    req.on('end', () => {
      seen.push({ method: req.method, headers: req.headers, body, port: req.socket.remotePort! })
      ;(routes[req.url ?? ''] ?? ((_q, r) => r.writeHead(404).end()))(req, res)
    })
  })
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(async () => {
  server.closeAllConnections()
  await new Promise((done) => server.close(done))
})

const transport = createNodeTransport('grantcheck-test')
afterAll(() => transport.close())

const init = (over: Partial<SendInit> = {}): SendInit => ({
  method: 'POST',
  headers: [
    ['Content-Type', 'application/x-www-form-urlencoded'],
    ['Authorization', 'Basic Y2xpZW50OnPDqWNyZXQ='],
  ],
  body: 'grant_type=client_credentials&scope=r%C3%A9ad',
  redirect: 'manual',
  signal: new AbortController().signal,
  ...over,
})

async function bodyText(res: Awaited<ReturnType<typeof transport.fetch>>): Promise<string> {
  const reader = res.body!.getReader()
  let text = ''
  const decoder = new TextDecoder()
  for (let r = await reader.read(); !r.done; r = await reader.read()) text += decoder.decode(r.value, { stream: true })
  return text + decoder.decode()
}

describe('the node:http transport', () => {
  it('sends the method, the headers and the body with its byte length', async () => {
    const res = await transport.fetch(`${base}/echo`, init())
    expect(res.status).toBe(200)
    expect(await bodyText(res)).toBe('{"access_token":"abc","token_type":"Bearer"}')
    const got = seen.at(-1)!
    expect(got.method).toBe('POST')
    expect(got.headers['content-type']).toBe('application/x-www-form-urlencoded')
    expect(got.headers.authorization).toBe('Basic Y2xpZW50OnPDqWNyZXQ=')
    expect(got.body).toBe('grant_type=client_credentials&scope=r%C3%A9ad')
    expect(got.headers['content-length']).toBe(String(new TextEncoder().encode(got.body).length))
    expect(got.headers['user-agent']).toBe('grantcheck-test')
  })

  it('hands back repeated response headers combined, as fetch does', async () => {
    const res = await transport.fetch(`${base}/echo`, init())
    await bodyText(res)
    expect(res.headers.get('cache-control')).toBe('no-store, no-cache')
    expect(res.headers.get('content-type')).toBe('application/json')
  })

  it('keeps the connection alive and reuses it', async () => {
    for (let i = 0; i < 3; i++) await bodyText(await transport.fetch(`${base}/echo`, init()))
    const ports = new Set(seen.slice(-3).map((s) => s.port))
    expect(ports.size).toBe(1)
  })

  it('opens a new connection when the server closed the kept-alive one', async () => {
    await bodyText(await transport.fetch(`${base}/then-close`, init()))
    await new Promise((r) => setTimeout(r, 50))
    const res = await transport.fetch(`${base}/echo`, init())
    expect(res.status).toBe(200)
    expect(await bodyText(res)).toContain('access_token')
    expect(seen.at(-1)!.port).not.toBe(seen.at(-2)!.port)
  })

  it('hands back the final response after an informational one', async () => {
    const res = await transport.fetch(`${base}/early-hints`, init())
    expect(res.status).toBe(200)
    expect(await bodyText(res)).toBe('{"ok":true}')
  })

  it('fails the read of a body cut short of its Content-Length', async () => {
    const res = await transport.fetch(`${base}/short-body`, init())
    await expect(bodyText(res)).rejects.toThrow()
  })

  it('refuses a URL that carries credentials, and a scheme other than http(s), before sending', async () => {
    const before = seen.length
    await expect(transport.fetch(base.replace('http://', 'http://user:pass@') + '/echo', init())).rejects.toThrow(/credentials/)
    await expect(transport.fetch('file:///etc/passwd', init())).rejects.toThrow(/scheme file:/)
    expect(seen.length).toBe(before)
  })

  it('is aborted by the signal while waiting for headers', async () => {
    const controller = new AbortController()
    const pending = transport.fetch(`${base}/no-headers`, init({ signal: controller.signal }))
    setTimeout(() => controller.abort(), 50)
    await expect(pending).rejects.toThrow()
  })

  it('is aborted by the signal while the body streams', async () => {
    const controller = new AbortController()
    const res = await transport.fetch(`${base}/never-ends`, init({ signal: controller.signal }))
    setTimeout(() => controller.abort(), 50)
    await expect(bodyText(res)).rejects.toThrow()
  })
})

describe('send over the node:http transport', () => {
  const limits = { timeoutMs: 500, maxResponseBytes: 10_000 }
  const post = (path: string) => ({ method: 'POST', url: `${base}${path}`, headers: [] as Array<[string, string]>, body: 'grant_type=client_credentials' })

  it('does not follow a redirect', async () => {
    const r = await send(transport.fetch, post('/redirect'), limits, Date.now)
    expect(r.ok && r.response.status).toBe(307)
    expect(r.ok && r.response.headers.get('location')).toBe('/elsewhere')
    expect(elsewhereHits).toBe(0)
  })

  it('stops reading at the size cap, and the next request still gets through', async () => {
    const r = await send(transport.fetch, post('/big'), limits, Date.now)
    if (!r.ok) throw new Error(r.error)
    expect(r.response.bytes).toBe(10_000)
    expect(r.response.truncated).toBe(true)
    const next = await send(transport.fetch, post('/echo'), limits, Date.now)
    expect(next.ok && next.response.json).toEqual({ access_token: 'abc', token_type: 'Bearer' })
  })

  it('gives up on a body that never ends, within the timeout', async () => {
    const started = Date.now()
    const r = await send(transport.fetch, post('/never-ends'), limits, Date.now)
    expect(!r.ok && r.error).toBe('no complete response within 500 ms')
    expect(Date.now() - started).toBeLessThan(5_000)
  })

  it('reports a refused connection as an error naming its cause', async () => {
    const r = await send(transport.fetch, { ...post('/'), url: `${await closedUrl()}/token` }, limits, Date.now)
    expect(!r.ok && r.error).toBe('request failed: no response (ECONNREFUSED)')
  })
})

describe('a TLS handshake that stalls', () => {
  it('is cut by the connect timeout, long before the request timeout', async () => {
    const stall = await stallingTls()
    const transport = createNodeTransport()
    try {
      const r = await send(transport.fetch, { method: 'POST', url: `${stall.url}/token`, headers: [], body: '' }, { timeoutMs: 60_000, connectTimeoutMs: 300, maxResponseBytes: 1_000 }, Date.now)
      expect(r).toMatchObject({ ok: false, failure: 'connection', error: expect.stringMatching(/no connection within 300 ms/) })
      expect(stall.held.length).toBe(1)
    } finally {
      transport.close()
      stall.close()
    }
  })
})
