/**
 * Proves the client-assertion suite's findings against the reference server over real HTTP on
 * 127.0.0.1: the conformant server's figures; each lawful variation and defect that moves one
 * moves exactly the findings fixtures/expected/reference-findings.yaml lists (so leeways of 0, 5
 * and 15 s read apart, and an introspection endpoint without JWT client authentication reads "not
 * measured"); FAPI 2.0's clock rules fail the servers that break them, and only under fapi2; and a
 * malformed refusal of the issuer audience is judged as its sibling audience cases judge one.
 */
import { generateKeyPair } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as z from 'zod'
import { listen, type RunningServer } from '../../fixtures/serve.ts'
import { mapPool } from '../core/engine.ts'
import type { TargetResult } from '../schema/report.ts'
import type { ClientAuthProfile } from '../schema/target.ts'
import { judged, loadExpected, expectedText, RUN_TIME_VALUES } from '../../test/_expected.ts'
import { builtinSuites, referenceTarget, runAgainst } from '../../test/_run.ts'
import { createReferenceServer } from './app.ts'
import { DEFECTS } from './defects.ts'
import { LAWFUL } from './lawful.ts'

const FILE = 'reference-findings.yaml'
const FINDING_KEY = z.string().regex(/^[a-z0-9-]+\/[a-z0-9-]+$/, 'suite/finding')
const expected = loadExpected(
  FILE,
  z.strictObject({
    conformant: z.record(FINDING_KEY, z.string().min(1)),
    /** Each lawful variation or defect that moves a finding: why, and every finding it moves. */
    moved: z.record(z.string(), z.strictObject({ why: z.string().regex(/\S+(\s+\S+){3,}/), findings: z.record(FINDING_KEY, z.string().min(1)) })),
  }),
)
const suites = builtinSuites().filter((s) => s.suite.id === 'client-assertion')
const signingKey = generateKeyPair('RS256', { extractable: true })
const servers: RunningServer[] = []

async function runWith(names: string[], clientAuthProfile: ClientAuthProfile = 'oidc'): Promise<TargetResult> {
  const app = await createReferenceServer({ defects: names, signingKey: await signingKey })
  const server = await listen(app.fetch, 0, '127.0.0.1')
  servers.push(server)
  return (await runAgainst({ ...referenceTarget(server.url), clientAuthProfile }, suites)).targets[0]!
}
const findingsOf = (t: TargetResult) => Object.fromEntries((t.findings ?? []).map((f) => [`${f.suite}/${f.id}`, f.value]))

const runs = new Map<string, TargetResult>()
beforeAll(async () => {
  await mapPool(['conformant', ...Object.keys(expected.moved)], 3, async (name) => runs.set(name, await runWith(name === 'conformant' ? [] : [name])))
}, 120_000)
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()))
})

describe(`the expected findings (fixtures/expected/${FILE})`, () => {
  it('names only lawful variations and defects of the reference server, and no run-time values', () => {
    expect(Object.keys(expected.moved).filter((n) => !Object.hasOwn(LAWFUL, n) && !Object.hasOwn(DEFECTS, n))).toEqual([])
    expect(expectedText(FILE).match(RUN_TIME_VALUES)).toBeNull()
  })

  it('the conformant server: every finding, with its value', () => {
    expect(findingsOf(runs.get('conformant')!)).toEqual(expected.conformant)
  })

  it.each(Object.keys(expected.moved))('%s moves exactly the findings listed', (name) => {
    expect(findingsOf(runs.get(name)!)).toEqual({ ...expected.conformant, ...expected.moved[name]!.findings })
  })

  it('says how many requests each ladder sent', () => {
    const requests = Object.fromEntries((runs.get('conformant')!.findings ?? []).filter((f) => f.requests !== undefined).map((f) => [f.id, f.requests]))
    expect(requests).toEqual({ 'iat-ahead': 8, 'nbf-ahead': 8, 'exp-past': 6, lifetime: 4, 'dpop-iat-ahead': 8, 'dpop-iat-past': 6 })
  })
})

describe('lawful variations are told apart by the findings, not by the verdicts', () => {
  const verdicts = (name: string) => judged(runs.get(name)!.cases)

  it('clock leeways of 0, 5 and 15 s (and the conformant 60 s) give four different windows, and no failure or warning', () => {
    const windows = ['assertion-clock-leeway-0', 'assertion-clock-leeway-5', 'assertion-clock-leeway-15', 'conformant'].map((n) => findingsOf(runs.get(n)!)['client-assertion/iat-ahead'])
    expect(new Set(windows).size).toBe(4)
    for (const n of ['assertion-clock-leeway-0', 'assertion-clock-leeway-5', 'assertion-clock-leeway-15']) expect(verdicts(n)).toEqual(verdicts('conformant'))
  })

  it('an introspection endpoint without JWT client authentication: replay protection not measured, the cases skipped with why, nothing failed', () => {
    const t = runs.get('introspection-without-assertions')!
    const finding = t.findings!.find((f) => f.id === 'jti-replay-scope')!
    expect(finding.value).toBe('not measured')
    expect(finding.detail).toMatch(/control/)
    const replay = t.cases.find((c) => c.id === 'replay-across-endpoints')!
    expect([replay.outcome, replay.reason]).toEqual(['skipped', expect.stringMatching(/^not measured: the control \(step 2, introspection\).*was refused \(HTTP 400 invalid_client\)$/)])
    expect(Object.values(verdicts('introspection-without-assertions')).filter((j) => j.outcome === 'failed' || j.outcome === 'warning')).toEqual([])
  })
})

describe('FAPI 2.0 §5.3.2.1 clock rules, under the fapi2 profile only', () => {
  // The reference server takes the issuer in a one-member array, which FAPI 2.0 refuses: its
  // string-only variant is the FAPI server here.
  const FAPI_SERVER = 'assertion-aud-array-refused'
  const clock = ['client-assertion/iat-ahead-window', 'client-assertion/nbf-ahead-window', 'client-assertion/dpop-iat-ahead-window']
  const clockVerdicts = async (extra: string[], profile: ClientAuthProfile = 'fapi2') => {
    const all = judged((await runWith([FAPI_SERVER, ...extra], profile)).cases)
    return Object.fromEntries(clock.map((k) => [k, all[k]]))
  }
  const pass = { outcome: 'passed', checks: [] }

  it('a leeway of 60 s or 15 s keeps them; 0 s and 5 s refuse what must be accepted; no bound accepts what must be refused', async () => {
    const [sixty, fifteen, zero, five, unbounded, nbf, dpop, underOidc] = await Promise.all([
      clockVerdicts([]),
      clockVerdicts(['assertion-clock-leeway-15']),
      clockVerdicts(['assertion-clock-leeway-0']),
      clockVerdicts(['assertion-clock-leeway-5']),
      clockVerdicts(['assertion-clock-unbounded']),
      clockVerdicts(['assertion-nbf-unchecked']),
      clockVerdicts(['dpop-iat-unchecked']),
      clockVerdicts(['assertion-clock-leeway-0', 'assertion-clock-unbounded'], 'oidc'),
    ])
    expect(sixty).toEqual(Object.fromEntries(clock.map((k) => [k, pass])))
    expect(fifteen).toEqual(sixty)
    const refusesTooSoon = { outcome: 'failed', checks: ['token-response.has-access-token'] }
    const acceptsTooLate = { outcome: 'failed', checks: ['response.no-token-issued'] }
    expect(zero).toEqual({ ...sixty, 'client-assertion/iat-ahead-window': refusesTooSoon, 'client-assertion/nbf-ahead-window': refusesTooSoon })
    expect(five).toEqual(zero)
    expect(unbounded).toEqual({ ...sixty, 'client-assertion/iat-ahead-window': acceptsTooLate })
    expect(nbf).toEqual({ ...sixty, 'client-assertion/nbf-ahead-window': acceptsTooLate })
    expect(dpop).toEqual({ ...sixty, 'client-assertion/dpop-iat-ahead-window': acceptsTooLate })
    // Outside fapi2 no text sets a number: the same servers are recorded, never failed or warned.
    expect(Object.values(underOidc).map((j) => j.outcome)).toEqual(['info', 'info', 'info'])
  }, 60_000)
})

describe('the issuer audience refused with a bare 403', () => {
  it('is judged under oidc as the sibling audience cases judge a malformed refusal: not a token nor an error response', async () => {
    // Only the token endpoint URL is taken, and every other audience gets an empty 403.
    const t = await runWith(['assertion-issuer-aud-refused', 'assertion-audience-refused-empty-403'])
    const v = judged(t.cases)
    const malformed = ['error-response.well-formed', 'response.token-or-error']
    expect(v['client-assertion/aud-issuer-slash']).toEqual({ outcome: 'failed', checks: malformed })
    expect(v['client-assertion/aud-issuer']).toEqual({ outcome: 'failed', checks: [...malformed, 'token-response.has-access-token'].sort() })
  }, 30_000)
})
