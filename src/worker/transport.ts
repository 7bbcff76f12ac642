/**
 * The Worker's transport: the budgeted fetch, and for a request that presents a client
 * certificate (RFC 8705), the mtls_certificates binding that holds it. A Worker cannot present a
 * certificate from PEM, nor trust a private CA: those requests fail with the reason, never go out
 * without what they need.
 *
 * @see https://developers.cloudflare.com/workers/runtime-apis/bindings/mtls/
 * @module
 */
import type { FetchLike } from '../core/http.ts'
import type { Budget } from './budget.ts'

/** What an mtls_certificates binding offers: a fetch that presents its certificate. */
interface CertificateBinding {
  fetch(input: string, init?: RequestInit): Promise<Response>
}

export function workerTransport(env: object, budget: Budget): FetchLike {
  const fetch: FetchLike = (url, init) => {
    const { tls, connectTimeoutMs: _connect, ...rest } = init
    if (tls?.ca) return Promise.reject(new TypeError('caCertificates: the Worker trusts public certificate authorities only'))
    const certificate = tls?.certificate
    if (!certificate) return budget.fetch(url, rest)
    if (!certificate.binding) return Promise.reject(new TypeError('the Worker presents client certificates through mtls_certificates bindings (certificateBinding), not from PEM'))
    const binding = (env as Record<string, unknown>)[certificate.binding] as CertificateBinding | undefined
    if (typeof binding?.fetch !== 'function')
      return Promise.reject(new TypeError(`no mtls_certificates binding named ${certificate.binding}: declare it in wrangler.toml ([[mtls_certificates]] binding = "${certificate.binding}")`))
    // A binding's fetch is a subrequest like any other.
    return budget.op(() => binding.fetch(url, rest))
  }
  fetch.clientCertificates = ['binding']
  return fetch
}
