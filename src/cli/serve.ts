/**
 * Serving a fetch handler (the reference server, the emulations, test servers) on a loopback
 * address from Node.
 */
import { serve } from '@hono/node-server'
import type { AddressInfo } from 'node:net'

export interface RunningServer {
  url: string
  close(): Promise<void>
}

/**
 * Listens on 127.0.0.1, or another loopback address such as 127.0.0.2 (another origin on the same
 * machine), on `port` (0 picks a free one); resolves once the port is open.
 */
export function listen(fetch: (req: Request) => Response | Promise<Response>, port = 0, hostname = '127.0.0.1'): Promise<RunningServer> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch, port, hostname }, (info: AddressInfo) => {
      resolve({
        url: `http://${hostname}:${info.port}`,
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
