/**
 * One run of the built-in suites against the reference server with some switches on (defects,
 * lawful variations, provider behaviours), as a hosted tenant would be judged: reached as
 * https://as.grantcheck.test over real TLS to its 127.0.0.1 port, with the mutual-TLS clients'
 * certificates made at test time, through the CLI's transport. Shared by the proof of the tester
 * (src/reference-server/reference.e2e.test.ts) and the self-test (test/selftest.ts).
 */
import { generateKeyPair } from 'jose'
import { serverTls, testPki, transportVia } from '../fixtures/mtls.ts'
import { listen } from '../fixtures/serve.ts'
import { createReferenceServer } from '../src/reference-server/app.ts'
import type { CaseResult } from '../src/schema/report.ts'
import type { ClientAuthProfile } from '../src/schema/target.ts'
import { builtinSuites, HOSTED_ISSUER, hostedReferenceTarget, runAgainst } from './_run.ts'

// One signing key for all the servers of a process: generating RSA keys would dominate otherwise.
let signingKey: ReturnType<typeof generateKeyPair> | undefined

/** The case results of every built-in suite against the reference server with `names` switched on. */
export async function runReference(names: string[], clientAuthProfile?: ClientAuthProfile): Promise<CaseResult[]> {
  const pki = await testPki()
  signingKey ??= generateKeyPair('RS256', { extractable: true })
  const app = await createReferenceServer({ defects: names, issuer: HOSTED_ISSUER, signingKey: await signingKey, selfSignedClientKey: pki.selfSigned.publicJwk })
  const server = await listen(app.fetch, 0, '127.0.0.1', serverTls(pki))
  const transport = transportVia(HOSTED_ISSUER, server.url)
  try {
    const { target, env } = hostedReferenceTarget(pki)
    return (await runAgainst({ ...target, ...(clientAuthProfile ? { clientAuthProfile } : {}) }, builtinSuites(), env, transport.fetch)).targets[0]!.cases
  } finally {
    transport.close()
    await server.close()
  }
}
