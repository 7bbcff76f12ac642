/**
 * The bench's servers, in their own process: the reference server and oidc-provider on loopback.
 * Apart from the process that measures, as a real authorization server is, so their work is not
 * counted as the tool's. Prints one JSON line with their addresses; stops when stdin closes.
 */
import { createReferenceServer } from '../fixtures/reference-server/app.ts'
import { startOidcProvider } from '../fixtures/oidc-provider/server.ts'
import { listen } from '../fixtures/serve.ts'

const reference = await listen((await createReferenceServer()).fetch)
const oidcProvider = await startOidcProvider()
process.stdout.write(`${JSON.stringify({ reference: reference.url, oidcProvider: oidcProvider.target })}\n`)
process.stdin.resume()
process.stdin.on('end', () => {
  void Promise.all([reference.close(), oidcProvider.close()]).then(() => process.exit(0))
})
