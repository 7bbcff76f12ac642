/**
 * The CLI's HTTP transport: node:http and node:https behind the engine's `FetchLike`.
 *
 * Why not Node's `fetch`: its first request compiles undici's WebAssembly HTTP parser (about
 * 30 MB of resident memory in a process that otherwise needs about 60), and every body goes
 * through web streams, which costs the client CPU a conformance run spends little else on. The
 * engine's `send` keeps the careful-client rules either way; this transport keeps what `send`
 * relies on fetch for:
 * - no redirect is followed (node:http never follows one);
 * - the signal aborts the connection, the wait for headers and the body alike;
 * - repeated response headers combine as `Headers` combines them;
 * - connections are kept alive and reused, as fetch's pool does;
 * - a URL carrying credentials is refused rather than turned into an Authorization header.
 * It also honours a connect timeout shorter than the request's, which fetch cannot, and presents
 * client certificates (RFC 8705 mutual TLS) and trusts a target's private CA, which fetch cannot
 * either.
 *
 * It adds no header of its own but Host, Content-Length, Connection and a User-Agent naming the
 * tool (where fetch would send "node"; some hosted tenants' firewalls refuse a request without
 * one), and asks for no compression, so a body arrives as the server sent it.
 *
 * @module
 */
import http from 'node:http'
import https from 'node:https'
import type { IncomingMessage } from 'node:http'
import { rootCertificates } from 'node:tls'
import type { BodyReader, FetchLike, ResponseLike, TlsOptions } from '../core/http.ts'

export interface NodeTransport {
  fetch: FetchLike
  /** Closes the idle kept-alive connections. */
  close(): void
}

export function createNodeTransport(userAgent = 'grantcheck'): NodeTransport {
  const agents = { 'http:': new http.Agent({ keepAlive: true }), 'https:': new https.Agent({ keepAlive: true }) }
  // A kept-alive TLS connection carries the certificate it was opened with (and trusts the CAs it
  // was opened with): one agent per certificate and CA set, so a connection is never reused by a
  // request that should present another certificate, or none.
  const tlsAgents = new Map<string, https.Agent>()
  const tlsAgent = (tls: TlsOptions): https.Agent => {
    const key = `${tls.certificate?.id ?? ''}\u0000${tls.ca ?? ''}`
    let agent = tlsAgents.get(key)
    if (!agent) {
      const c = tls.certificate
      // Node's `ca` replaces the public roots: a private CA is trusted besides them, not instead.
      const ca = tls.ca ? [tls.ca, ...rootCertificates] : undefined
      agent = new https.Agent({ keepAlive: true, ...(c ? { cert: c.certPem, key: c.keyPem } : {}), ...(ca ? { ca } : {}) })
      tlsAgents.set(key, agent)
    }
    return agent
  }
  const fetch: FetchLike = (url, init) =>
    new Promise<ResponseLike>((resolve, reject) => {
      const fail = (message: string, cause?: unknown) => reject(new TypeError(message, cause === undefined ? undefined : { cause }))
      let target: URL
      try {
        target = new URL(url)
      } catch {
        return fail(`not a valid URL: ${url}`)
      }
      if (target.protocol !== 'http:' && target.protocol !== 'https:') return fail(`unsupported URL scheme ${target.protocol}`)
      if (target.username || target.password) return fail('a URL carrying credentials is refused')
      if (init.signal.aborted) return reject(init.signal.reason)

      const headers: Record<string, string> = Object.create(null) // a header named constructor is just a header
      for (const [name, value] of init.headers) {
        const key = name.toLowerCase()
        headers[key] = key in headers ? `${headers[key]}, ${value}` : value
      }
      headers['user-agent'] ??= userAgent
      if (init.body !== undefined) headers['content-length'] = String(Buffer.byteLength(init.body))

      const tls = init.tls
      if (tls?.certificate && target.protocol !== 'https:') return fail('a client certificate is presented over https only')
      if (tls?.certificate && !(tls.certificate.certPem && tls.certificate.keyPem)) return fail('this transport presents certificates from PEM, not through a Worker binding')
      const lib = target.protocol === 'https:' ? https : http
      const agent = target.protocol === 'https:' && (tls?.certificate || tls?.ca) ? tlsAgent(tls) : agents[target.protocol]
      let req: http.ClientRequest
      try {
        req = lib.request(target, { method: init.method, headers, agent, signal: init.signal })
      } catch (e) {
        // Bad method or header characters are refused synchronously, before anything is sent.
        return fail('the request could not be built', e)
      }
      // Errors after the response arrived are the body's: its reader reports them.
      req.on('error', (e) => fail('no response', e))
      // Opening a connection gets less time than an answer: a dead host is known sooner. Over TLS
      // the connection is open once the handshake is done, so a handshake that stalls is cut too.
      const connectMs = init.connectTimeoutMs
      if (connectMs !== undefined)
        req.once('socket', (socket) => {
          if (!socket.connecting) return
          const timer = setTimeout(() => req.destroy(new Error(`no connection within ${connectMs} ms`)), connectMs)
          const stop = () => clearTimeout(timer)
          socket.once(target.protocol === 'https:' ? 'secureConnect' : 'connect', stop)
          socket.once('close', stop)
        })
      req.once('response', (res) => {
        let received: Headers
        try {
          received = headersOf(res.rawHeaders)
        } catch (e) {
          res.destroy()
          return fail('the response headers are not valid', e)
        }
        // The signal keeps covering the body: an abort while it streams ends the read with an error.
        res.on('error', () => {}) // reported by the reader, which may not have started yet
        const onAbort = () => res.destroy(init.signal.reason)
        init.signal.addEventListener('abort', onAbort, { once: true })
        res.once('close', () => init.signal.removeEventListener('abort', onAbort))
        resolve({ status: res.statusCode ?? 0, headers: received, body: { getReader: () => readerOf(res) } })
      })
      req.end(init.body)
    })
  fetch.clientCertificates = ['pem']
  return {
    fetch,
    close() {
      agents['http:'].destroy()
      agents['https:'].destroy()
      for (const agent of tlsAgents.values()) agent.destroy()
    },
  }
}

/** The headers in arrival order, repeated names combined as fetch combines them. */
function headersOf(raw: string[]): Headers {
  const headers = new Headers()
  for (let i = 0; i + 1 < raw.length; i += 2) headers.append(raw[i]!, raw[i + 1]!)
  return headers
}

function readerOf(res: IncomingMessage): BodyReader {
  const chunks = res[Symbol.asyncIterator]() as AsyncIterator<Buffer>
  return {
    read: async () => {
      const next = await chunks.next()
      return next.done ? { done: true, value: undefined } : { done: false, value: next.value }
    },
    cancel: async () => {
      res.destroy()
    },
  }
}
