/**
 * Test helpers: run the engine in-process against a server on 127.0.0.1 over real HTTP.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { runPlan } from '../src/core/engine.ts'
import type { FetchLike } from '../src/core/http.ts'
import type { PlannedSuite } from '../src/core/plan.ts'
import { resolveTarget } from '../src/core/resolve.ts'
import { builtinSuiteFiles, loadSuiteFile } from '../src/node/files.ts'
import type { CaseResult, Report } from '../src/schema/report.ts'
import { FIXTURE_SECRETS } from '../src/reference-server/clients.ts'
import { TargetSchema, type TargetInput } from '../src/schema/target.ts'
import type { TestPki } from '../fixtures/mtls.ts'

export const ROOT = join(import.meta.dirname, '..')

let cached: PlannedSuite[] | undefined
export function builtinSuites(): PlannedSuite[] {
  return (cached ??= builtinSuiteFiles().map(loadSuiteFile))
}

export function referenceTarget(issuer: string): TargetInput {
  const t = JSON.parse(readFileSync(join(ROOT, 'src/reference-server/reference-target.json'), 'utf8')) as TargetInput
  return { ...t, issuer }
}

/** The name under which tests reach the reference server as if it were a hosted tenant. */
export const HOSTED_ISSUER = 'https://as.grantcheck.test'

/**
 * The reference target for a non-loopback issuer: literal secrets are refused there, so each
 * becomes an environment reference, returned with the values to resolve it. With a test PKI, the
 * two mutual-TLS clients and the CA that issued the server's certificate are added.
 */
export function hostedReferenceTarget(pki?: TestPki): { target: TargetInput; env: Record<string, string> } {
  const t = referenceTarget(HOSTED_ISSUER)
  const env: Record<string, string> = {}
  const clients: TargetInput['clients'] = Object.fromEntries(
    Object.entries(t.clients).map(([role, c]) => {
      const name = `REF_${role.toUpperCase()}_SECRET`
      const field = c.authMethod === 'private_key_jwt' ? 'privateJwk' : 'clientSecret'
      env[name] = c[field] as string
      return [role, { ...c, [field]: { env: name } }]
    }),
  )
  let tls: Partial<TargetInput> = {}
  if (pki) {
    Object.assign(env, {
      REF_CA: pki.ca.certPem,
      REF_MTLS_CERT: pki.mtlsClient.certPem,
      REF_MTLS_KEY: pki.mtlsClient.keyPem,
      REF_MTLS_SELF_SIGNED_CERT: pki.selfSigned.certPem,
      REF_MTLS_SELF_SIGNED_KEY: pki.selfSigned.keyPem,
    })
    clients.mtls = { clientId: 'grantcheck-mtls', authMethod: 'tls_client_auth', certificate: { env: 'REF_MTLS_CERT' }, certificateKey: { env: 'REF_MTLS_KEY' } }
    clients.mtlsSelfSigned = {
      clientId: 'grantcheck-mtls-self-signed',
      authMethod: 'self_signed_tls_client_auth',
      certificate: { env: 'REF_MTLS_SELF_SIGNED_CERT' },
      certificateKey: { env: 'REF_MTLS_SELF_SIGNED_KEY' },
    }
    tls = { caCertificates: { env: 'REF_CA' } }
  }
  // The hosted name would get the gentle default of 10 requests a second; this is loopback really.
  return { target: { ...t, clients, ...tls, limits: { requestsPerSecond: 10_000 } }, env }
}

export async function runAgainst(target: TargetInput, suites = builtinSuites(), env: Record<string, string> = {}, fetchImpl: FetchLike = fetch): Promise<Report> {
  const resolved = resolveTarget(TargetSchema.parse(target), (n) => env[n], 'test-target')
  return runPlan([resolved], suites, {
    fetch: fetchImpl,
    now: () => Date.now(),
    randomId: () => crypto.randomUUID().replace(/-/g, ''),
    toolVersion: 'test',
  })
}

/**
 * The four secret clients a server not written here is set up with (primary and special use
 * Basic, post the body, noGrant may not use the grant), named `<prefix>-primary` and so on, with
 * the reference server's secrets.
 */
export function secretClients(prefix: string): TargetInput['clients'] {
  const client = (role: string, authMethod: 'client_secret_basic' | 'client_secret_post', clientSecret: string) => ({ clientId: `${prefix}-${role}`, authMethod, clientSecret })
  return {
    primary: client('primary', 'client_secret_basic', FIXTURE_SECRETS.primary),
    post: client('post', 'client_secret_post', FIXTURE_SECRETS.post),
    special: client('special', 'client_secret_basic', FIXTURE_SECRETS.special),
    noGrant: client('nogrant', 'client_secret_basic', FIXTURE_SECRETS.noGrant),
  }
}

/** `suite/case` → outcome, for comparing with expected-results files. */
export function outcomes(report: Report): Record<string, CaseResult['outcome']> {
  return Object.fromEntries(report.targets[0]!.cases.map((c) => [`${c.suite}/${c.id}`, c.outcome]))
}
