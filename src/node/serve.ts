/**
 * Serving a fetch handler (the reference server, the emulations, test servers) on a loopback
 * address from Node, over plain HTTP or over TLS that asks for client certificates.
 */
import { serve } from '@hono/node-server'
import { X509Certificate } from 'node:crypto'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import type { TLSSocket } from 'node:tls'
import type { PeerCertificate, ServerEnv } from '../reference-server/mtls.ts'

export interface RunningServer {
  url: string
  close(): Promise<void>
}

/** TLS for a listener: its certificate and key, and the CA whose client certificates it verifies. */
export interface ListenTls {
  certPem: string
  keyPem: string
  /** Client certificates chaining to this CA are verified; others are still handed over, unverified. */
  clientCaPem?: string
}

type Handler = (req: Request, env: ServerEnv) => Response | Promise<Response>

/**
 * Listens on 127.0.0.1, or another loopback address such as 127.0.0.2 (another origin on the same
 * machine), on `port` (0 picks a free one); resolves once the port is open. With `tls`, it serves
 * https and asks every client for a certificate without requiring one (RFC 8705 leaves the
 * decision to the authorization server, per client): the handler gets it in `env.clientCertificate`.
 */
export function listen(fetch: Handler, port = 0, hostname = '127.0.0.1', tls?: ListenTls): Promise<RunningServer> {
  return new Promise((resolve, reject) => {
    const options = tls
      ? {
          createServer: createHttpsServer,
          serverOptions: { cert: tls.certPem, key: tls.keyPem, ca: tls.clientCaPem, requestCert: true, rejectUnauthorized: false },
        }
      : {}
    // node-server's own bindings (the incoming message) pass through: test servers use them.
    const handler = (req: Request, env: ServerEnv & { incoming?: { socket?: unknown } }) =>
      fetch(req, tls ? { ...env, clientCertificate: peerCertificateOf(env.incoming?.socket as TLSSocket | undefined) } : env)
    const server = serve({ fetch: handler, port, hostname, ...options }, (info: AddressInfo) => {
      resolve({
        url: `${tls ? 'https' : 'http'}://${hostname}:${info.port}`,
        close: () =>
          new Promise<void>((done) => {
            ;(server as { closeAllConnections?: () => void }).closeAllConnections?.()
            server.close(() => done())
          }),
      })
    })
    server.once('error', reject)
  })
}

/** The client certificate of a TLS connection, as the reference server reads it; none when not presented. */
function peerCertificateOf(socket: TLSSocket | undefined): PeerCertificate | undefined {
  const raw = socket?.getPeerCertificate?.(false)?.raw
  if (!raw || !raw.length) return undefined
  const cert = new X509Certificate(raw)
  const subject = cert.subject.split('\n').map((line): [string, string] => {
    const i = line.indexOf('=')
    return [line.slice(0, i), line.slice(i + 1)]
  })
  return { der: new Uint8Array(raw), chainVerified: socket!.authorized, subject, publicJwk: cert.publicKey.export({ format: 'jwk' }) as PeerCertificate['publicJwk'] }
}
