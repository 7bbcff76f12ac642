/**
 * The bench's servers, in their own process: the reference server and oidc-provider on loopback.
 * Apart from the process that measures, as a real authorization server is, so their work is not
 * counted as the tool's. Prints one JSON line with their addresses; stops when stdin closes.
 */
import { createReferenceServer } from '../src/reference-server/app.ts'
import { createElsewhere, createHostileServer } from '../fixtures/hostile/app.ts'
import { startOidcProvider } from '../fixtures/oidc-provider/server.ts'
import { listen, stallingTls } from '../fixtures/serve.ts'

const reference = await listen((await createReferenceServer()).fetch)
const oidcProvider = await startOidcProvider()
const elsewhere = await listen(createElsewhere().app.fetch, 0, '127.0.0.2')
const hostile = await listen(createHostileServer({ elsewhere: elsewhere.url }).fetch as (r: Request) => Promise<Response>)
// A TLS handshake that never ends: connections are taken and never answered.
const stall = await stallingTls()
process.stdout.write(`${JSON.stringify({ reference: reference.url, oidcProvider: oidcProvider.target, hostile: hostile.url, tlsStall: stall.url })}\n`)
process.stdin.resume()
process.stdin.on('end', () => {
  stall.close()
  void Promise.all([reference.close(), oidcProvider.close(), hostile.close(), elsewhere.close()]).then(() => process.exit(0))
})
