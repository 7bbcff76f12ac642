/**
 * grantcheck from a team's own test suite, through its public API only (`import … from 'grantcheck'`).
 * A real suite would load its tenant's target file, `loadTarget('targets/okta.json')`, with the
 * client secrets in the environment; this one starts grantcheck's reference server instead, so
 * that it runs anywhere.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { failures, InputInvalidError, loadSuites, loadTarget, render, run, startReferenceServer, type ReferenceServer } from 'grantcheck'

describe('an authorization server checked from vitest', () => {
  let conformant: ReferenceServer
  let defective: ReferenceServer
  beforeAll(async () => {
    conformant = await startReferenceServer()
    defective = await startReferenceServer({ defects: ['unknown-scope-server-error'] })
  })
  afterAll(async () => {
    await conformant?.close()
    await defective?.close()
  })

  it('passes the scope and client-authentication suites, and our own tenant policy', async () => {
    const suites = loadSuites(['scope', 'client-authentication'])
    const report = await run({ targets: [conformant.target], suites })
    expect(failures(report)).toEqual([])
    expect(report.targets[0]!.summary.outcomes.passed).toBeGreaterThan(10)
  })

  it('names the case and the check when the server answers an unknown scope with a server error', async () => {
    const report = await run({ targets: [defective.target], suites: loadSuites(['scope']) })
    const failed = failures(report).map((f) => `${f.case.suite}/${f.case.id}`)
    expect(failed).toEqual(['scope/scope-unknown'])
    const checks = report.targets[0]!.cases.find((c) => c.id === 'scope-unknown')!.checks
    expect(checks.filter((c) => c.outcome === 'failed').map((c) => c.check)).toEqual(['response.token-or-error'])
  })

  it('renders the report for CI: JUnit with one test case per case', async () => {
    const report = await run({ targets: [conformant.target], suites: loadSuites(['scope']) })
    const junit = render(report, 'junit')
    expect(junit.match(/<testcase /g)).toHaveLength(report.targets[0]!.cases.length)
    expect(render(report, 'md')).toMatch(/^## grantcheck: reference/)
  })

  it('refuses a target file that still holds grantcheck init placeholders, before sending anything', () => {
    const template = {
      name: 'okta',
      profile: 'okta',
      issuer: 'https://DOMAIN/oauth2/default',
      clients: { primary: { clientId: '0oa1b2c3', authMethod: 'client_secret_basic', clientSecret: { env: 'OKTA_SECRET' } } },
      scopes: { valid: ['orders.read'] },
    }
    expect(() => loadTarget(template, { env: { OKTA_SECRET: 's' } })).toThrow(InputInvalidError)
    expect(() => loadTarget(template, { env: { OKTA_SECRET: 's' } })).toThrow(/"issuer": still holds the init placeholder DOMAIN/)
    expect(() => loadTarget({ ...template, issuer: 'https://acme.okta.com/oauth2/default' }, { env: { OKTA_SECRET: 's' } })).not.toThrow()
  })
})
