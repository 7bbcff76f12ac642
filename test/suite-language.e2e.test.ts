/**
 * The suite language says, in YAML only, cases that used to need TypeScript, and refuses
 * misspelt suites before anything is sent. Each YAML case runs against the reference server and
 * oidc-provider over real HTTP, with its verdict asserted.
 */
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startOidcProvider, type RunningOidcProvider } from '../fixtures/oidc-provider/server.ts'
import { FIXTURE_CLIENTS, FIXTURE_SECRETS } from '../src/reference-server/clients.ts'
import { createReferenceServer } from '../src/reference-server/app.ts'
import { listen, type RunningServer } from '../fixtures/serve.ts'
import { loadSuiteFile } from '../src/node/files.ts'
import { InputInvalidError } from '../src/core/errors.ts'
import type { FetchLike } from '../src/core/http.ts'
import type { Report } from '../src/schema/report.ts'
import { outcomes, referenceTarget, ROOT, runAgainst } from './_run.ts'

const language = loadSuiteFile(join(ROOT, 'fixtures/suites/language.yaml'))
const policy = loadSuiteFile(join(ROOT, 'examples/tenant-policy.yaml'))

/** Records the headers of every request sent, to see what went on the wire. */
function recording(): { fetch: FetchLike; sent: Array<{ url: string; headers: Array<[string, string]> }> } {
  const sent: Array<{ url: string; headers: Array<[string, string]> }> = []
  return {
    sent,
    fetch: (url, init) => {
      sent.push({ url, headers: init.headers })
      return fetch(url, init)
    },
  }
}

const servers: RunningServer[] = []
let op: RunningOidcProvider
let onReference: Report
let onOidcProvider: Report
const wire = recording()

beforeAll(async () => {
  const reference = await listen((await createReferenceServer()).fetch)
  servers.push(reference)
  onReference = await runAgainst(referenceTarget(reference.url), [language], {}, wire.fetch)
  op = await startOidcProvider()
  onOidcProvider = await runAgainst(op.target, [language])
}, 60_000)
afterAll(async () => {
  for (const s of servers) await s.close()
  await op?.close()
})

describe('cases only the new language can say, on the reference server', () => {
  it.each([
    ['language/scope-space-as-plus', 'passed'],
    ['language/scope-space-as-percent-20', 'passed'],
    ['language/assertion-explicitly-typed', 'passed'],
    ['language/assertion-aud-issuer-array', 'passed'],
    ['language/assertion-iat-ahead', 'passed'],
    ['language/content-type-with-charset', 'passed'],
  ])('%s is %s', (id, outcome) => {
    const c = onReference.targets[0]!.cases.find((x) => `${x.suite}/${x.id}` === id)!
    expect(c.outcome, `${id}: ${c.reason}`).toBe(outcome)
    expect(c.exchanges.length).toBeGreaterThan(0)
  })

  it('sent the space as + in one case and as %20 in the other', () => {
    const bodies = onReference.targets[0]!.cases.filter((c) => c.id.startsWith('scope-space')).map((c) => c.exchanges[0]!.request.body)
    expect(bodies[0]).toMatch(/(^|&)scope=read\+write(&|$)/)
    expect(bodies[1]).toMatch(/(^|&)scope=read%20write(&|$)/)
  })

  it('sent exactly one Content-Type, the one the case set', () => {
    const charset = wire.sent.filter((r) => r.headers.some(([k, v]) => k.toLowerCase() === 'content-type' && v.includes('charset')))
    expect(charset).toHaveLength(1)
    expect(charset[0]!.headers.filter(([k]) => k.toLowerCase() === 'content-type')).toEqual([['Content-Type', 'application/x-www-form-urlencoded;charset=UTF-8']])
  })

  it('signed the assertions as described, and shows them only decoded-free (redacted)', () => {
    const typed = onReference.targets[0]!.cases.find((c) => c.id === 'assertion-explicitly-typed')!
    expect(typed.exchanges[0]!.request.body).toContain('client_assertion=$CLIENT_ASSERTION')
  })
})

describe('the same cases on oidc-provider, an independent implementation', () => {
  it.each([
    ['language/scope-space-as-plus', 'passed'],
    ['language/scope-space-as-percent-20', 'passed'],
    ['language/assertion-explicitly-typed', 'passed'],
    ['language/assertion-aud-issuer-array', 'passed'],
    ['language/assertion-iat-ahead', 'passed'],
    ['language/content-type-with-charset', 'passed'],
  ])('%s is %s', (id, outcome) => {
    const c = onOidcProvider.targets[0]!.cases.find((x) => `${x.suite}/${x.id}` === id)!
    expect(c.outcome, `${id}: ${c.reason}`).toBe(outcome)
  })
})

describe('the tenant-policy example (examples/tenant-policy.yaml)', () => {
  /** A reference server set up as the example's tenant: Auth0-style claims, the tenant claim, a read-only reporting client. */
  async function tenant(switches: string[], extraClaims?: Record<string, unknown>) {
    const clients = [
      ...FIXTURE_CLIENTS,
      { clientId: 'grantcheck-reporting', authMethod: 'client_secret_basic' as const, secret: 'reporting-secret-4Xb9', grants: ['client_credentials'], scopes: ['read'], defaultScopes: ['read'] },
    ]
    const s = await listen((await createReferenceServer({ defects: switches, extraClaims, clients })).fetch)
    servers.push(s)
    return s.url
  }
  const target = (issuer: string, reportingId = 'grantcheck-reporting', reportingSecret = 'reporting-secret-4Xb9') => {
    // As an Auth0 tenant's target: the API identifier as audience, no RFC 8707 resource.
    const t = { ...referenceTarget(issuer), resource: undefined }
    return { ...t, clients: { ...t.clients, reporting: { clientId: reportingId, authMethod: 'client_secret_basic' as const, clientSecret: reportingSecret } } }
  }

  it('passes a tenant that keeps the policy', async () => {
    const report = await runAgainst(target(await tenant(['claims-auth0'], { 'https://grantcheck.example/tenant': 'acme' })), [policy])
    expect(outcomes(report)).toEqual({
      'tenant-policy/token-for-our-api': 'passed',
      'tenant-policy/token-lifetime': 'passed',
      'tenant-policy/tenant-claim': 'passed',
      'tenant-policy/grant-type-claim': 'passed',
      'tenant-policy/admin-never-granted': 'passed',
      'tenant-policy/reporting-reads-only': 'passed',
    })
  })

  it('fails each broken rule, and says where and what it saw', async () => {
    // A plain reference server: no tenant or gty claim, and "reporting" is a client that may write.
    const report = await runAgainst(target(await tenant([]), 'grantcheck-primary', FIXTURE_SECRETS.primary), [policy])
    expect(outcomes(report)).toEqual({
      'tenant-policy/token-for-our-api': 'passed',
      'tenant-policy/token-lifetime': 'passed',
      'tenant-policy/tenant-claim': 'failed',
      'tenant-policy/grant-type-claim': 'failed',
      'tenant-policy/admin-never-granted': 'passed',
      'tenant-policy/reporting-reads-only': 'failed',
    })
    const claim = report.targets[0]!.cases.find((c) => c.id === 'tenant-claim')!.checks[0]!
    expect(claim).toMatchObject({ check: 'policy.tenant-claim', outcome: 'failed', expected: 'token.claims/https:~1~1grantcheck.example~1tenant equal to "acme"', actual: '(absent)' })
    const writes = report.targets[0]!.cases.find((c) => c.id === 'reporting-reads-only')!.checks.find((c) => c.check === 'policy.reporting-never-writes')!
    expect(writes.actual).toContain('"write"')
  })

  it('skips the reporting rule, with the reason, on a target without that client', async () => {
    const report = await runAgainst(referenceTarget(await tenant(['claims-auth0'])), [policy])
    expect(report.targets[0]!.cases.find((c) => c.id === 'reporting-reads-only')).toMatchObject({ outcome: 'skipped', reason: 'the target has no "reporting" client' })
  })
})

describe('a misspelt suite is refused before anything is sent, naming the file, line and field', () => {
  const dir = mkdtempSync(join(tmpdir(), 'grantcheck-language-'))
  const caseWith = (body: string) => `version: 2\nid: typo\ntitle: Typo\ncases:\n  - id: one\n    title: One\n    requirements: [RFC6749-5.1]\n    level: MUST\n${body}`
  function refusal(name: string, text: string): InputInvalidError {
    const file = join(dir, name)
    writeFileSync(file, text)
    try {
      loadSuiteFile(file)
    } catch (e) {
      if (e instanceof InputInvalidError) return e
      throw e
    }
    throw new Error('the suite was accepted')
  }

  it.each([
    [
      'a reference',
      'ref.yaml',
      '    request: { params: { set: { scope: "${scopes.vaild}" } } }\n    expect: [{ group: granted }]\n',
      9,
      'cases[0].request.params.set.scope',
      'unknown reference "${scopes.vaild}"; did you mean "${scopes.valid}"?',
    ],
    ['a reference in an operand', 'operand.yaml', '    expect:\n      - that: token.audiences\n        contains: "${audiance}"\n', 11, 'cases[0].expect[0].contains', 'did you mean "${audience}"?'],
    ['a client role', 'role.yaml', '    request: { client: jwtec }\n    expect: [{ group: granted }]\n', 9, 'cases[0].request.client', 'unknown client role "jwtec"; did you mean "jwtEc"?'],
    [
      'a role in a reference',
      'role-ref.yaml',
      '    request: { params: { set: { client_id: "${clients.primry.id}" } } }\n    expect: [{ group: granted }]\n',
      9,
      'cases[0].request.params.set.client_id',
      'unknown client role "primry"; did you mean "primary"?',
    ],
    ['a need', 'need.yaml', '    needs: [scopes.restrcted]\n    expect: [{ group: granted }]\n', 9, 'cases[0].needs[0]', 'unknown need "scopes.restrcted"; did you mean "scopes.restricted"?'],
    [
      'a check',
      'check.yaml',
      '    expect:\n      - check: token-response.has-acess-token\n',
      10,
      'cases[0].expect[0].check',
      'unknown check "token-response.has-acess-token"; did you mean "token-response.has-access-token"?',
    ],
    ['a group', 'group.yaml', '    expect:\n      - group: refuse\n', 10, 'cases[0].expect[0].group', 'unknown group "refuse"; did you mean "refused"?'],
    [
      'a group argument',
      'group-arg.yaml',
      '    expect:\n      - group: refused\n        args: { error: [invalid_client] }\n',
      11,
      'cases[0].expect[0].args',
      'group "refused" has no parameter "error"',
    ],
    ['a location', 'location.yaml', '    expect:\n      - that: token.claim/aud\n        exists: true\n', 10, 'cases[0].expect[0].that', 'a location'],
    ['a regular expression', 'regex.yaml', '    expect:\n      - that: headers/pragma\n        matches: "no-cache("\n', 11, 'cases[0].expect[0].matches', 'not a regular expression'],
    [
      'a secret in an operand',
      'secret.yaml',
      '    expect:\n      - that: body/client_secret\n        absent: true\n      - that: body\n        excludes: "${client.secret}"\n',
      13,
      'cases[0].expect[1].excludes',
      'is a secret: it can be sent, never compared or shown',
    ],
    ['a comparison outside steps', 'same-one.yaml', '    expect:\n      - that: status\n        sameAs: 1\n', 11, 'cases[0].expect[0].sameAs', 'goes in a case with "steps"'],
    [
      'a comparison with a later step',
      'same-later.yaml',
      '    steps:\n      - expect: [{ that: status, sameAs: 2 }]\n      - request: {}\n        expect: [{ check: response.observe }]\n',
      10,
      'cases[0].steps[0].expect[0].sameAs',
      'step 1 has none',
    ],
    [
      'a finding naming a case the suite lacks',
      'finding-case.yaml',
      '    expect: [{ check: response.observe }]\nfindings:\n  - id: f\n    title: F\n    classify: [{ label: x, means: y, when: { two: accepted } }]\n',
      13,
      'findings[0].classify[0].when.two',
      'no case "two" in this suite',
    ],
    [
      'a measure with a value per request it lacks',
      'finding-measure.yaml',
      '    expect: [{ check: response.observe }]\nfindings:\n  - id: f\n    title: F\n    measure: { case: one, values: [1, 2], unit: s }\n',
      13,
      'findings[0].measure.values',
      '"one" sends 1 request(s): give one value for each',
    ],
    [
      'a control that sends nothing',
      'control-inspect.yaml',
      '    steps:\n      - do: inspect\n        control: that there is metadata\n        expect: [{ check: response.observe }]\n',
      11,
      'cases[0].steps[0].control',
      'an inspect step sends nothing, so it cannot be a control',
    ],
    ['an auth method', 'auth.yaml', '    request: { auth: basik }\n    expect: [{ group: granted }]\n', 9, 'cases[0].request.auth', 'Invalid option'],
  ])('%s', (_what, name, body, line, field, message) => {
    const e = refusal(name, caseWith(body))
    expect(e.file).toContain(name)
    expect(e.message).toContain(`line ${line}`)
    expect(e.message).toContain(`"${field}"`)
    expect(e.message).toContain(message)
  })

  it('a version 1 suite, with what to do', () => {
    const e = refusal('v1.yaml', 'version: 1\nid: old\ntitle: Old\ncases:\n  - id: one\n    title: One\n    requirements: [RFC6749-5.1]\n    level: MUST\n    expect: [{ check: response.observe }]\n')
    expect(e.message).toMatch(/line 1 "version": version 1 suites are no longer read: .*write version: 2/)
  })
})
