/**
 * The CLI's transport with TLS client certificates (RFC 8705), against a real TLS server on
 * 127.0.0.1 with certificates made at test time: the certificate is presented, kept-alive
 * connections never carry one request's certificate to another, a target's private CA is trusted
 * beside the public ones, and send's rules (no redirect, size cap, timeout) hold as without TLS.
 */
import { createServer, type Server } from 'node:https'
import type { AddressInfo } from 'node:net'
import type { TLSSocket } from 'node:tls'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { testPki, type TestPki } from '../../fixtures/mtls.ts'
import { send, type OutgoingRequest, type SendLimits } from '../core/http.ts'
import type { ClientCertificate } from '../core/resolve.ts'
import { createNodeTransport } from './transport.ts'

let pki: TestPki
let server: Server
let base: string
let redirectFollowed = 0
beforeAll(async () => {
  pki = await testPki()
  server = createServer({ cert: pki.server.certPem, key: pki.server.keyPem, ca: pki.ca.certPem, requestCert: true, rejectUnauthorized: false }, (req, res) => {
    const socket = req.socket as TLSSocket
    const peer = socket.getPeerCertificate()
    const who = peer && 'subject' in peer && peer.subject ? peer.subject.CN : 'none'
    if (req.url === '/elsewhere') redirectFollowed++
    if (req.url === '/redirect') res.writeHead(307, { Location: '/elsewhere' }).end()
    else if (req.url === '/big') res.end('x'.repeat(200_000))
    else if (req.url === '/slow') setTimeout(() => res.end('{}'), 2_000)
    else res.setHeader('Content-Type', 'application/json').end(JSON.stringify({ certificate: who, verified: socket.authorized }))
  })
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready))
  base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(async () => {
  server.closeAllConnections()
  await new Promise((done) => server.close(done))
})

const transport = createNodeTransport('grantcheck-test')
afterAll(() => transport.close())
const limits: SendLimits = { timeoutMs: 5_000, maxResponseBytes: 65_536 }
const certificateOf = (role: 'mtlsClient' | 'selfSigned'): ClientCertificate => ({ id: `client:${role}`, certPem: pki[role].certPem, keyPem: pki[role].keyPem })
const request = (path: string, certificate?: ClientCertificate): OutgoingRequest => ({
  method: 'POST',
  url: `${base}${path}`,
  headers: [['Content-Type', 'application/x-www-form-urlencoded']],
  body: 'grant_type=client_credentials',
  tls: { ca: pki.ca.certPem, ...(certificate ? { certificate } : {}) },
})
const answer = async (path: string, certificate?: ClientCertificate) => {
  const sent = await send(transport.fetch, request(path, certificate), limits, Date.now)
  if (!sent.ok) throw new Error(sent.error)
  return sent.response.json as { certificate: string; verified: boolean }
}

describe('the node:https transport with client certificates', () => {
  it('says it presents certificates from PEM', () => {
    expect(transport.fetch.clientCertificates).toEqual(['pem'])
  })

  it('presents the certificate, and trusts the private CA the target names', async () => {
    expect(await answer('/who', certificateOf('mtlsClient'))).toEqual({ certificate: 'grantcheck-mtls', verified: true })
    expect(await answer('/who', certificateOf('selfSigned'))).toEqual({ certificate: 'grantcheck-mtls-self-signed', verified: false })
  })

  it("never lets a kept-alive connection carry one request's certificate to another", async () => {
    const order = [certificateOf('mtlsClient'), undefined, certificateOf('selfSigned'), certificateOf('mtlsClient'), undefined]
    const got = []
    for (const c of order) got.push((await answer('/who', c)).certificate)
    expect(got).toEqual(['grantcheck-mtls', 'none', 'grantcheck-mtls-self-signed', 'grantcheck-mtls', 'none'])
  })

  it('refuses a server certificate of an unknown CA when the target names none', async () => {
    const sent = await send(transport.fetch, { ...request('/who', certificateOf('mtlsClient')), tls: { certificate: certificateOf('mtlsClient') } }, limits, Date.now)
    expect(sent.ok).toBe(false)
  })

  it('presents no certificate over plain http, and none it cannot read', async () => {
    const overHttp = await send(transport.fetch, { ...request('/who', certificateOf('mtlsClient')), url: base.replace('https:', 'http:') + '/who' }, limits, Date.now)
    expect(overHttp.ok ? 'sent' : overHttp.error).toMatch(/https only/)
    const binding = await send(transport.fetch, request('/who', { id: 'binding:CERT', binding: 'CERT' }), limits, Date.now)
    expect(binding.ok ? 'sent' : binding.error).toMatch(/not through a Worker binding/)
  })

  it("keeps send's rules: no redirect followed, the size cap, the timeout", async () => {
    const redirect = await send(transport.fetch, request('/redirect', certificateOf('mtlsClient')), limits, Date.now)
    expect(redirect.ok && redirect.response.status).toBe(307)
    expect(redirectFollowed).toBe(0)
    const big = await send(transport.fetch, request('/big', certificateOf('mtlsClient')), limits, Date.now)
    expect(big.ok && big.response.truncated).toBe(true)
    expect(big.ok && big.response.text.length).toBe(65_536)
    const slow = await send(transport.fetch, request('/slow', certificateOf('mtlsClient')), { ...limits, timeoutMs: 300 }, Date.now)
    expect(slow.ok ? 'answered' : slow.failure).toBe('timeout')
  })
})
