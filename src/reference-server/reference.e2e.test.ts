/**
 * Proves the tester against the reference server over real HTTP on 127.0.0.1, check by check: the
 * conformant server passes; each defect makes exactly the listed checks of exactly the listed cases
 * not hold; no lawful variation makes a check fail, error or warn (but where a SHOULD lets it);
 * and every check and every case of the built-in suites is failed by a defect that exists for it
 * (not only by collateral damage), and every check probed by a lawful variation.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { mapPool } from '../../src/core/engine.ts'
import { evaluateFindings } from '../../src/core/findings.ts'
import { allChecks } from '../../src/core/plan.ts'
import type { CaseResult } from '../../src/schema/report.ts'
import { disagreements, expectedText, judged, loadExpected, ReferenceExpectationsSchema, RUN_TIME_VALUES, type Judged } from '../../test/_expected.ts'
import { runReference } from '../../test/_reference.ts'
import { builtinSuites } from '../../test/_run.ts'
import type { ClientAuthProfile } from '../schema/target.ts'
import { DEFECTS, type DefectInfo } from './defects.ts'
import { LAWFUL, type LawfulVariation } from './lawful.ts'

const FILE = 'reference.yaml'
const expected = loadExpected(FILE, ReferenceExpectationsSchema)
const defects = Object.entries(DEFECTS as Record<string, DefectInfo>)
const lawful = Object.entries(LAWFUL as Record<string, LawfulVariation>)
const allCases = builtinSuites().flatMap((s) => s.cases.map((c) => `${s.suite.id}/${c.case.id}`))
/** Every check and assertion id the built-in suites judge with, but observations (they always hold). */
const judgingChecks = [
  ...new Set(
    builtinSuites().flatMap((s) =>
      s.cases.flatMap((c) =>
        allChecks(c)
          .filter((p) => !p.def?.observation)
          .map((p) => p.id),
      ),
    ),
  ),
]
const runs = new Map<string, CaseResult[]>()
/** Profiles some defects are judged under, besides the reference target's own (oidc). */
const profiles = [...new Set(defects.flatMap(([, d]) => (d.clientAuthProfile ? [d.clientAuthProfile] : [])))]
const conformantUnder = (profile: string) => `conformant@${profile}`

/** A run of every built-in suite with these switches, reached as a hosted tenant (test/_reference.ts). */
const runWith = runReference

beforeAll(async () => {
  await mapPool(['conformant', ...profiles.map(conformantUnder), ...Object.keys(DEFECTS), ...Object.keys(LAWFUL)], 4, async (name) => {
    if (name === 'conformant') runs.set(name, await runWith([]))
    else if (name.startsWith('conformant@')) runs.set(name, await runWith([], name.slice('conformant@'.length) as ClientAuthProfile))
    else runs.set(name, await runWith([name], (DEFECTS as Record<string, DefectInfo>)[name]?.clientAuthProfile))
  })
}, 300_000)

/** The conformant server's expected verdict, under the reference target's profile or another. */
const conformant =
  (profile?: string) =>
  (key: string): Judged => {
    const e = (profile ? expected.conformantUnder?.[profile] : expected.conformant)?.[key]
    return e ? { outcome: e.outcome, checks: e.checks } : { outcome: 'passed', checks: [] }
  }
const underDefect = (name: string) => (key: string) => {
  const cases = expected.defects[name]?.cases ?? {}
  return cases[key] ?? cases['*'] ?? conformant((DEFECTS as Record<string, DefectInfo>)[name]!.clientAuthProfile)(key)
}
/** The checks that did not hold in a case, with their levels, under a defect. */
const notHolding = (name: string, key: string) =>
  runs
    .get(name)!
    .find((c) => `${c.suite}/${c.id}` === key)
    ?.checks.filter((k) => ['failed', 'warning', 'errored'].includes(k.outcome)) ?? []
/**
 * Whether a defect moves a finding drawn from a case (its measure, or a classification that reads
 * it), compared with the conformant server under the same profile: a case that only measures (a
 * clock ladder outside fapi2) is aimed at through what it measures.
 */
const movesFinding = (name: string, key: string) => {
  const [suite, id] = key.split('/') as [string, string]
  const profile = (DEFECTS as Record<string, DefectInfo>)[name]!.clientAuthProfile
  const values = (run: string) =>
    evaluateFindings(builtinSuites(), runs.get(run)!)
      .filter((f) => {
        const finding = builtinSuites()
          .find((s) => s.suite.id === suite)
          ?.suite.findings?.find((x) => x.id === f.id && f.suite === suite)
        return finding?.measure?.case === id || finding?.classify?.some((r) => [...Object.keys(r.when ?? {}), ...Object.keys(r.whenAny ?? {})].some((ref) => ref.split('#')[0] === id))
      })
      .map((f) => f.value)
  return JSON.stringify(values(name)) !== JSON.stringify(values(profile ? conformantUnder(profile) : 'conformant'))
}

describe(`the expected-results file (fixtures/expected/${FILE})`, () => {
  it('lists every defect and every lawful variation once, only known cases and check ids', () => {
    expect(Object.keys(expected.defects).sort()).toEqual(Object.keys(DEFECTS).sort())
    expect(Object.keys(expected.lawful).sort()).toEqual(Object.keys(LAWFUL).sort())
    const known = new Set(judgingChecks)
    for (const [where, cases] of [
      ['conformant', expected.conformant] as const,
      ...Object.entries(expected.conformantUnder ?? {}),
      ...Object.entries(expected.defects).map(([n, d]) => [n, d.cases] as const),
      ...Object.entries(expected.lawful).map(([n, d]) => [n, d.cases] as const),
    ])
      for (const [key, e] of Object.entries(cases)) {
        if (key !== '*') expect(allCases, `${where}: unknown case ${key}`).toContain(key)
        for (const id of e.checks) expect(known.has(id), `${where}: ${key}: unknown check ${id}`).toBe(true)
      }
  })

  it('marks as collateral exactly the entries of cases a defect is not aimed at', () => {
    const wrong = defects.flatMap(([name, d]) =>
      Object.entries(expected.defects[name]!.cases)
        .filter(([key, e]) => (e.collateral === true) === d.targets.includes(key))
        .map(([key]) => `${name}: ${key}`),
    )
    expect(wrong).toEqual([])
  })

  it('holds no run-time values, and says each reason once, in its own words', () => {
    expect(expectedText(FILE).match(RUN_TIME_VALUES)).toBeNull()
    const reasons = [
      ...Object.values(expected.conformant).map((e) => e.why),
      ...Object.values(expected.conformantUnder ?? {}).flatMap((m) => Object.values(m).map((e) => e.why)),
      ...[...Object.values(expected.defects), ...Object.values(expected.lawful)].flatMap((d) => [d.why, ...Object.values(d.cases).flatMap((e) => (e.why ? [e.why] : []))]),
    ]
    const repeated = reasons.filter((r, i) => reasons.indexOf(r) !== i)
    expect(repeated).toEqual([])
  })
})

describe('the conformant reference server', () => {
  it('gets the expected verdict, check by check, for every case', () => {
    const got = judged(runs.get('conformant')!)
    expect(Object.keys(got).sort()).toEqual([...allCases].sort())
    expect(disagreements(got, conformant())).toEqual([])
  })

  it.each(profiles)('gets the expected verdict under the %s client authentication profile too', (profile) => {
    expect(Object.keys(expected.conformantUnder ?? {}).sort()).toEqual([...profiles].sort())
    expect(disagreements(judged(runs.get(conformantUnder(profile))!), conformant(profile))).toEqual([])
  })

  it('fails and warns nowhere: its expected verdicts are all passes, observations or not applicable', () => {
    const all = [expected.conformant, ...Object.values(expected.conformantUnder ?? {})].flatMap((m) => Object.entries(m))
    const bad = all.filter(([, e]) => !['passed', 'info', 'skipped'].includes(e.outcome) || e.checks.length)
    expect(bad).toEqual([])
  })
})

describe.each(defects)('defect %s', (name, info) => {
  it(`makes exactly the listed checks of the listed cases not hold (${info.description})`, () => {
    expect(disagreements(judged(runs.get(name)!), underDefect(name))).toEqual([])
  })

  it('fails every check it is aimed at, and every case it is aimed at through a MUST or SHOULD check (or the finding it measures)', () => {
    expect(info.targets.length, 'a defect names what it exists to fail').toBeGreaterThan(0)
    const notMet: string[] = []
    for (const target of info.targets) {
      if (target.includes('/')) {
        const levels = notHolding(name, target).map((k) => k.level)
        if (!levels.some((l) => l === 'MUST' || l === 'SHOULD') && !movesFinding(name, target)) notMet.push(`case ${target} keeps its MUST and SHOULD checks, and what it measures`)
      } else if (!allCases.some((key) => notHolding(name, key).some((k) => k.check === target))) notMet.push(`check ${target} holds everywhere`)
    }
    expect(notMet).toEqual([])
  })
})

describe.each(lawful)('lawful variation %s', (name, info) => {
  const underLawful = (key: string) => expected.lawful[name]?.cases[key] ?? conformant()(key)

  it(`gets exactly the listed verdicts, check by check (${info.description})`, () => {
    expect(disagreements(judged(runs.get(name)!), underLawful)).toEqual([])
  })

  it(`makes no check fail, error or warn, but where a SHOULD lets it (${info.allowedBy})`, () => {
    const wrong = allCases.flatMap((key) =>
      notHolding(name, key)
        .filter((k) => k.outcome !== 'warning' || !info.mayWarn?.[k.check])
        .map((k) => `${key}: ${k.check} ${k.outcome}: ${k.message}`),
    )
    const unjudged = runs
      .get(name)!
      .filter((c) => c.outcome === 'failed' || c.outcome === 'errored')
      .map((c) => `${c.suite}/${c.id}: ${c.outcome}: ${c.reason ?? ''}`)
    expect([...wrong, ...unjudged]).toEqual([])
  })
})

describe('targeted coverage of the built-in suites', () => {
  const aimedAt = (target: string) => defects.filter(([, d]) => d.targets.includes(target)).map(([n]) => n)

  it('every check that judges an answer has a defect aimed at it', () => {
    expect(judgingChecks.length).toBeGreaterThan(40)
    expect(judgingChecks.filter((id) => aimedAt(id).length === 0)).toEqual([])
  })

  it('every check that judges an answer has a lawful variation aimed at its edge', () => {
    expect(judgingChecks.filter((id) => !lawful.some(([, v]) => v.aimedAt.includes(id)))).toEqual([])
  })

  it('every case has a defect aimed at it', () => {
    expect(allCases.filter((key) => aimedAt(key).length === 0)).toEqual([])
  })

  it('names only checks and cases that exist', () => {
    const unknown = [
      ...defects.flatMap(([name, d]) => d.targets.filter((t) => !(t.includes('/') ? allCases.includes(t) : judgingChecks.includes(t))).map((t) => `${name}: ${t}`)),
      ...lawful.flatMap(([name, v]) => [...v.aimedAt, ...Object.keys(v.mayWarn ?? {})].filter((t) => !judgingChecks.includes(t)).map((t) => `${name}: ${t}`)),
    ]
    expect(unknown).toEqual([])
  })
})

describe('the fapi2 client authentication profile', () => {
  it('fails a server that takes the issuer in an array, and passes one that takes it only as a string (FAPI 2.0 §5.3.2.1)', async () => {
    const audienceCases = (r: CaseResult[]) => Object.fromEntries(Object.entries(judged(r)).filter(([k]) => k.startsWith('client-assertion/aud-')))
    const stringOnly = audienceCases(await runWith(['assertion-aud-array-refused'], 'fapi2'))
    const rfc7523bis = audienceCases(await runWith([], 'fapi2'))
    expect(Object.entries(stringOnly).filter(([, j]) => j.checks.length || !['passed', 'skipped'].includes(j.outcome))).toEqual([])
    expect(rfc7523bis['client-assertion/aud-issuer-array']).toEqual({ outcome: 'failed', checks: ['response.no-token-issued'] })
    expect(Object.entries(rfc7523bis).filter(([k, j]) => k !== 'client-assertion/aud-issuer-array' && j.checks.length)).toEqual([])
  }, 60_000)
})
