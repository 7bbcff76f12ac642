/**
 * Mutual TLS from the Worker (RFC 8705): a client's certificate is presented through the
 * mtls_certificates binding its target names (certificateBinding). Miniflare does not run
 * mtls_certificates bindings (they exist only on Cloudflare: cloudflare/workers-sdk#6067), so each
 * binding is stood in for by a service binding of the same name that does what Cloudflare's does:
 * it sends the request on with its certificate, here over real TLS to the reference server. What
 * is proven is the Worker's side: which requests go through which binding, the certificate-bound
 * verdicts, and the clear reasons when a certificate cannot be presented.
 */
import type { JWK } from 'jose'
import type { Miniflare } from 'miniflare'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { listen, type RunningServer } from '../fixtures/serve.ts'
import { serverTls, testPki, type TestPki } from '../fixtures/mtls.ts'
import { createNodeTransport } from '../src/node/transport.ts'
import { createReferenceServer } from '../src/reference-server/app.ts'
import type { Report } from '../src/schema/report.ts'
import { referenceTarget } from './_run.ts'
import { auth, ORIGIN, postRun, settled, worker } from './_worker.ts'

let pki: TestPki
let plain: RunningServer
let tls: RunningServer
let mf: Miniflare
const transport = createNodeTransport('cloudflare-mtls-stand-in')
/** What went through each binding: method and path. */
const through: Record<string, string[]> = { MTLS_CERT: [], MTLS_SELF_SIGNED_CERT: [] }

/** A stand-in for an mtls_certificates binding: the request, sent on over TLS with this certificate. */
function certificateBinding(name: string, certificate: { certPem: string; keyPem: string }) {
  return async (req: Request): Promise<Response> => {
    const url = new URL(req.url)
    through[name]!.push(`${req.method} ${url.pathname}`)
    const res = await transport.fetch(`${tls.url}${url.pathname}${url.search}`, {
      method: req.method,
      headers: [...req.headers],
      body: req.method === 'GET' ? undefined : await req.text(),
      redirect: 'manual',
      signal: AbortSignal.timeout(10_000),
      tls: { certificate: { id: name, ...certificate }, ca: pki.ca.certPem },
    })
    const chunks: Uint8Array[] = []
    const reader = res.body!.getReader()
    for (let r = await reader.read(); !r.done; r = await reader.read()) chunks.push(r.value)
    return new Response(Buffer.concat(chunks), { status: res.status, headers: res.headers })
  }
}

beforeAll(async () => {
  pki = await testPki()
  // One server, two listeners: plain http for what the Worker fetches itself, TLS for the stand-ins.
  // Its issuer is the plain listener's origin, whichever listener a request arrives on.
  // (The listeners call `app` only for requests, which come once it is made.)
  plain = await listen((req, env) => app.fetch(req, env))
  tls = await listen((req, env) => app.fetch(req, env), 0, '127.0.0.1', serverTls(pki))
  const app = await createReferenceServer({ selfSignedClientKey: pki.selfSigned.publicJwk as JWK, issuer: plain.url })
  const base = referenceTarget(plain.url)
  mf = worker(
    {
      GRANTCHECK_TARGETS: JSON.stringify([
        {
          ...base,
          clients: {
            ...base.clients,
            mtls: { clientId: 'grantcheck-mtls', authMethod: 'tls_client_auth', certificateBinding: 'MTLS_CERT', certificate: pki.mtlsClient.certPem },
            mtlsSelfSigned: { clientId: 'grantcheck-mtls-self-signed', authMethod: 'self_signed_tls_client_auth', certificateBinding: 'MTLS_SELF_SIGNED_CERT' },
          },
        },
        {
          ...base,
          name: 'pem-only',
          clients: { ...base.clients, mtls: { clientId: 'grantcheck-mtls', authMethod: 'tls_client_auth', certificate: pki.mtlsClient.certPem, certificateKey: pki.mtlsClient.keyPem } },
        },
        {
          ...base,
          name: 'undeclared-binding',
          clients: { ...base.clients, mtls: { clientId: 'grantcheck-mtls', authMethod: 'tls_client_auth', certificateBinding: 'NO_SUCH_CERT' } },
        },
      ]),
    },
    {
      serviceBindings: {
        MTLS_CERT: certificateBinding('MTLS_CERT', pki.mtlsClient),
        MTLS_SELF_SIGNED_CERT: certificateBinding('MTLS_SELF_SIGNED_CERT', pki.selfSigned),
      },
    },
  )
}, 60_000)

afterAll(async () => {
  await mf?.dispose()
  transport.close()
  await plain?.close()
  await tls?.close()
})

async function runOf(target: string): Promise<Report['targets'][number]> {
  const res = await postRun(mf, { target, suites: ['mtls'] })
  expect(res.status).toBe(202)
  const { id } = (await res.json()) as { id: string }
  await settled(mf)
  const report = (await (await mf.dispatchFetch(`${ORIGIN}/api/runs/${id}/report`, { headers: auth })).json()) as Report
  return report.targets[0]!
}

describe('mutual TLS in the Worker', () => {
  it('presents each client certificate through its binding, and the conformant server passes every case', async () => {
    const t = await runOf('reference')
    expect(Object.fromEntries(t.cases.map((c) => [c.id, c.outcome === 'passed' ? 'passed' : `${c.outcome}: ${c.reason}`]))).toEqual(Object.fromEntries(t.cases.map((c) => [c.id, 'passed'])))
    expect(t.cases).toHaveLength(9)
    // The certificate-bearing requests went to the mtls_endpoint_aliases, through the binding of
    // the certificate they present; the one without a certificate went through none.
    expect(through.MTLS_CERT).toEqual(expect.arrayContaining(['POST /mtls/token', 'POST /mtls/introspect']))
    expect(through.MTLS_SELF_SIGNED_CERT).toContain('POST /mtls/token')
    expect([...through.MTLS_CERT, ...through.MTLS_SELF_SIGNED_CERT].every((r) => r.includes('/mtls/'))).toBe(true)
    const bound = t.cases.find((c) => c.id === 'bound-token')!
    // The thumbprint is known from the certificate the target gives beside its binding.
    expect(bound.checks.filter((k) => k.check === 'jwt-access-token.cnf-x5t').map((k) => k.outcome)).toEqual(['passed', 'passed'])
    expect(bound.exchanges[0]!.request.certificate).toMatch(/Worker binding MTLS_CERT \(x5t#S256 [\w-]{43}\)/)
    expect(bound.exchanges[0]!.curl).toContain('--cert "$CERT_OF_MTLS_CERT"')
  }, 120_000)

  it('skips, with the reason, a case whose certificate is given as PEM: a Worker presents none from PEM', async () => {
    const t = await runOf('pem-only')
    const c = t.cases.find((x) => x.id === 'tls-client-auth')!
    expect(c.outcome).toBe('skipped')
    expect(c.reason).toMatch(/cannot present a client certificate from PEM.*certificateBinding/)
  }, 120_000)

  it('errs, naming the binding, when the target names one wrangler.toml does not declare', async () => {
    const t = await runOf('undeclared-binding')
    const c = t.cases.find((x) => x.id === 'tls-client-auth')!
    expect(c.outcome).toBe('errored')
    expect(c.reason).toMatch(/no mtls_certificates binding named NO_SUCH_CERT/)
  }, 120_000)
})
