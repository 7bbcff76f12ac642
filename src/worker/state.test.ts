import { describe, expect, it } from 'vitest'
import type { Outcome } from '../schema/report.ts'
import { componentsOf, isOutage, ruleOf, transition, type CaseState, type Component, type ConfirmRule, type TargetState } from './state.ts'

const run = (n: number, outcomes: Record<string, Outcome>, error?: string) => ({
  runId: `r${n}`,
  at: `2026-12-01T00:0${n}:00Z`,
  cases: Object.entries(outcomes).map(([key, outcome]) => ({ key, outcome, reason: outcome === 'errored' ? 'request failed: ECONNREFUSED' : undefined })),
  error,
})

/** Feeds runs one after another, as the Worker does, and returns what each one alerted. */
function sequence(confirm: number | ConfirmRule, runs: Array<ReturnType<typeof run>>) {
  let cases = new Map<string, CaseState>()
  let target: TargetState | undefined
  return runs.map((r) => {
    const t = transition(cases, target, r, confirm)
    cases = new Map([...cases, ...t.cases])
    target = t.target
    return {
      changes: t.changes.map((c) => `${c.change} ${c.key}`),
      target: t.targetChange,
      confirm: t.toConfirm,
      confirmTarget: t.confirmTarget,
      states: Object.fromEntries([...cases].map(([k, v]) => [k, v.state])),
    }
  })
}

describe('case and target states', () => {
  it('alerts a new failure once it is confirmed, then its fix once that is confirmed too, and nothing in between', () => {
    const seen = sequence(1, [
      run(1, { a: 'passed', b: 'passed' }),
      run(2, { a: 'failed', b: 'passed' }),
      run(3, { a: 'failed' }),
      run(4, { a: 'failed', b: 'passed' }),
      run(5, { a: 'passed' }),
      run(6, { a: 'passed' }),
    ])
    expect(seen.map((s) => s.changes)).toEqual([[], [], ['new-failure a'], [], [], ['fixed a']])
    expect(seen[1]!.confirm).toEqual(['a'])
    expect(seen[2]!.states).toEqual({ a: 'failing', b: 'passing' })
    // The pass of run 5 is being confirmed: the case stays failing, and a confirming run is asked for.
    expect(seen[4]!).toMatchObject({ confirm: ['a'], states: { a: 'failing' } })
  })

  it('counts a failure that does not come back as a flake, without an alert', () => {
    const seen = sequence(1, [run(1, { a: 'passed' }), run(2, { a: 'failed' }), run(3, { a: 'passed' })])
    expect(seen.flatMap((s) => s.changes)).toEqual([])
    const t = transition(new Map([['a', { state: 'suspect', since: 'x', runId: 'r2', flips: 0, seen: 1 }]]), { state: 'up', since: 'x' }, run(3, { a: 'passed' }), 1)
    expect(t.cases.get('a')).toMatchObject({ state: 'passing', flips: 1 })
  })

  it('alerts at once without confirmation, and keeps the start of the streak as "since"', () => {
    const seen = sequence(0, [run(1, { a: 'passed' }), run(2, { a: 'failed' })])
    expect(seen[1]!.changes).toEqual(['new-failure a'])
    const two = sequence(2, [run(1, { a: 'passed' }), run(2, { a: 'failed' }), run(3, { a: 'failed' }), run(4, { a: 'failed' })])
    expect(two.map((s) => s.changes)).toEqual([[], [], [], ['new-failure a']])
  })

  it('a partial run changes only the cases it ran, and a standing failure never alerts again', () => {
    const seen = sequence(0, [run(1, { a: 'passed', b: 'passed' }), run(2, { a: 'failed', b: 'passed' }), run(3, { b: 'passed' }), run(4, { a: 'failed', b: 'passed' })])
    expect(seen.map((s) => s.changes)).toEqual([[], ['new-failure a'], [], []])
    expect(seen[2]!.states).toEqual({ a: 'failing', b: 'passing' })
  })

  it('an outage alerts when it begins and when it ends, and leaves case states alone', () => {
    const seen = sequence(0, [run(1, { a: 'passed', b: 'failed' }), run(2, { a: 'errored', b: 'errored' }), run(3, { a: 'errored', b: 'errored' }), run(4, { a: 'passed', b: 'failed' })])
    expect(seen.map((s) => s.target)).toEqual([undefined, 'outage', undefined, 'recovered'])
    expect(seen.flatMap((s) => s.changes)).toEqual([])
    expect(seen[2]!.states).toEqual({ a: 'passing', b: 'failing' })
  })

  it('a flapping case (pass, fail, pass, fail…) pages nobody, whatever the rule (issue 25)', () => {
    const flapping = Array.from({ length: 12 }, (_, i) => run(i, { a: i % 2 ? 'failed' : 'passed' }))
    for (const rule of [1, 2, 3, { confirm: 1, of: 2 }, { confirm: 2, of: 4 }, { confirm: 3, of: 6 }, { confirm: 2, of: 9 }]) {
      const seen = sequence(rule, flapping)
      expect(seen.flatMap((s) => s.changes)).toEqual([])
      expect(seen.every((s) => s.states.a !== 'failing')).toBe(true)
    }
    // Started failing: it stays failing, and its fix is never confirmed either.
    const fromFailing = sequence(
      { confirm: 2, of: 4 },
      Array.from({ length: 12 }, (_, i) => run(i, { a: i % 2 ? 'passed' : 'failed' })),
    )
    expect(fromFailing.flatMap((s) => s.changes)).toEqual([])
  })

  it('confirms when N of M observations agree: 3 of 4 tolerates one pass in a failing streak, and pages once', () => {
    const outcomes: Outcome[] = ['passed', 'failed', 'passed', 'failed', 'failed', 'failed', 'passed', 'failed', 'failed']
    const seen = sequence(
      { confirm: 2, of: 4 },
      outcomes.map((o, i) => run(i, { a: o })),
    )
    expect(seen.map((s) => s.changes)).toEqual([[], [], [], [], ['new-failure a'], [], [], [], []])
    expect(seen[4]!.states).toEqual({ a: 'failing' })
    // "since" is the first failure of the confirmed window.
    const t = sequence(
      { confirm: 2, of: 4 },
      outcomes.slice(0, 5).map((o, i) => run(i, { a: o })),
    )
    expect(t.at(-1)!.states).toEqual({ a: 'failing' })
  })

  it('keeps M between N and 2N - 2, so alternation can never reach N first', () => {
    expect(ruleOf(0)).toEqual({ agree: 1, of: 1 })
    expect(ruleOf(1)).toEqual({ agree: 2, of: 2 })
    expect(ruleOf({ confirm: 1, of: 5 })).toEqual({ agree: 2, of: 2 })
    expect(ruleOf({ confirm: 2, of: 9 })).toEqual({ agree: 3, of: 4 })
    expect(ruleOf({ confirm: 3, of: 1 })).toEqual({ agree: 4, of: 4 })
  })

  it('an outage seen once then gone alerts nothing, and asks for a confirming run in between', () => {
    const seen = sequence(1, [run(1, { a: 'passed', b: 'passed' }), run(2, { a: 'errored', b: 'errored' }), run(3, { a: 'passed', b: 'passed' })])
    expect(seen.map((s) => s.target)).toEqual([undefined, undefined, undefined])
    expect(seen.map((s) => s.confirmTarget)).toEqual([false, true, false])
  })

  it('a confirmed outage alerts once, when confirmed, and its confirmed recovery once; a recovery seen once does not', () => {
    const down = { a: 'errored', b: 'errored' } as const
    const up = { a: 'passed', b: 'failed' } as const
    const seen = sequence(1, [run(1, up), run(2, down), run(3, down), run(4, down), run(5, up), run(6, down), run(7, up), run(8, up), run(9, up)])
    expect(seen.map((s) => s.target)).toEqual([undefined, undefined, 'outage', undefined, undefined, undefined, undefined, 'recovered', undefined])
    expect(seen.flatMap((s) => s.changes)).toEqual([])
    expect(seen[7]!.states).toEqual({ a: 'passing', b: 'failing' })
  })

  it("keeps a pending outage in the target's error, and alerts its first reason and time", () => {
    let target: TargetState = { state: 'up', since: 'x' }
    const t1 = transition(new Map(), target, run(2, { a: 'errored' }), 1)
    expect(t1.target).toEqual({ state: 'up', since: 'x', error: 'request failed: ECONNREFUSED [confirming since 2026-12-01T00:02:00Z: 3]' })
    target = t1.target
    const t2 = transition(new Map(), target, run(3, {}, 'metadata discovery failed'), 1)
    expect(t2).toMatchObject({ targetChange: 'outage', target: { state: 'down', since: '2026-12-01T00:02:00Z', error: 'request failed: ECONNREFUSED' } })
    const t3 = transition(new Map(), t2.target, run(4, { a: 'passed' }), 1)
    expect(t3.target).toEqual({ state: 'down', since: '2026-12-01T00:02:00Z', error: 'request failed: ECONNREFUSED [confirming since 2026-12-01T00:04:00Z: 3]' })
    expect(transition(new Map(), t3.target, run(5, { a: 'passed' }), 1)).toMatchObject({ targetChange: 'recovered', target: { state: 'up', since: '2026-12-01T00:04:00Z' } })
  })

  it('reads a suspect stored before issue 25 (seen: failures so far) as that many agreeing observations', () => {
    const old = new Map<string, CaseState>([['a', { state: 'suspect', since: 's', runId: 'r1', flips: 0, seen: 1 }]])
    expect(transition(old, { state: 'up', since: 'x' }, run(2, { a: 'failed' }), 1)).toMatchObject({ changes: [{ key: 'a', change: 'new-failure' }] })
    const failing = new Map<string, CaseState>([['a', { state: 'failing', since: 's', runId: 'r1', flips: 0, seen: 3 }]])
    expect(transition(failing, { state: 'up', since: 'x' }, run(2, { a: 'passed' }), 1)).toMatchObject({ changes: [], toConfirm: ['a'] })
  })

  it('knows an outage: every case errored, or a target that could not be run', () => {
    expect(isOutage(run(1, { a: 'errored', b: 'errored' }))).toBe(true)
    expect(isOutage(run(1, { a: 'errored', b: 'failed' }))).toBe(false)
    expect(isOutage(run(1, {}, 'metadata discovery failed'))).toBe(true)
    expect(isOutage(run(1, {}))).toBe(false)
  })

  it('knows a dead token endpoint: every case that asked it errored, whatever the metadata cases did', () => {
    const asked = (outcomes: Record<string, [Outcome, Component[]]>) => ({
      runId: 'r2',
      at: '2026-12-01T00:02:00Z',
      cases: Object.entries(outcomes).map(([key, [outcome, components]]) => ({ key, outcome, components, reason: outcome === 'errored' ? 'no complete response within 10000 ms' : undefined })),
    })
    const dead = asked({
      'metadata/issuer': ['passed', ['discovery']],
      'metadata/jwks': ['failed', ['discovery']],
      'scope/valid': ['errored', ['token']],
      'intro/active': ['errored', ['token', 'introspection']],
    })
    expect(isOutage(dead)).toBe(true)
    const t = transition(new Map(), { state: 'up', since: 'x' }, dead, 0)
    expect(t).toMatchObject({ targetChange: 'outage', target: { state: 'down', error: 'the token endpoint answered no case: no complete response within 10000 ms' } })
    // One token case answered: the tenant is up, and the errored ones are judged as usual.
    expect(isOutage(asked({ 'scope/valid': ['passed', ['token']], 'intro/active': ['errored', ['token', 'introspection']] }))).toBe(false)
    // A run that asked no token endpoint (a confirmation of a metadata case) is no outage.
    expect(isOutage(asked({ 'metadata/issuer': ['errored', ['discovery']], 'metadata/jwks': ['passed', ['discovery']] }))).toBe(false)
  })

  it('reads the components of a case from its exchanges', () => {
    const ex = (label: string) => ({ label }) as never
    expect(componentsOf({ exchanges: [ex('step 1: token request'), ex('step 2: introspection'), ex('step 3: the same token request again')] })).toEqual(['token', 'introspection'])
    expect(componentsOf({ exchanges: [ex('metadata discovery'), ex('revocation')] })).toEqual(['discovery', 'revocation'])
  })

  it('takes the first observation as the baseline: no alert for a failure never seen passing', () => {
    const seen = sequence(0, [run(1, { a: 'failed' }), run(2, { a: 'failed' })])
    expect(seen.flatMap((s) => s.changes)).toEqual([])
    expect(seen[0]!.states).toEqual({ a: 'failing' })
  })

  it('changes nothing for errored or skipped cases in a run that judged others', () => {
    const seen = sequence(0, [run(1, { a: 'failed', b: 'passed' }), run(2, { a: 'errored', b: 'skipped' }), run(3, { a: 'passed', b: 'passed' })])
    expect(seen.map((s) => s.changes)).toEqual([[], [], ['fixed a']])
  })
})
