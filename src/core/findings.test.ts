import { describe, expect, it } from 'vitest'
import type { CaseResult } from '../schema/report.ts'
import { SuiteSchema, type Answer } from '../schema/suite.ts'
import { evaluateFinding } from './findings.ts'

const suite = SuiteSchema.parse({
  version: 2,
  id: 's',
  title: 'S',
  cases: [{ id: 'x', title: 'X', requirements: ['RFC7523-3'], level: 'INFO', expect: [{ check: 'response.observe' }] }],
  findings: [
    {
      id: 'policy',
      title: 'Policy',
      classify: [
        { label: 'lax', means: 'accepts anything', whenAny: { a: 'accepted', b: 'accepted' } },
        { label: 'strict', means: 'a refused, step 2 of c refused', when: { a: 'refused', 'c#2': 'refused' } },
        { label: 'other', means: 'none of the above' },
      ],
    },
    { id: 'window', title: 'Window', measure: { case: 'w', values: [30, 60, 120, 300], unit: 's' } },
  ],
})
const result = (id: string, answers: Answer[] | undefined): CaseResult => ({ id, suite: 's', answers }) as unknown as CaseResult
const [policy, window] = suite.findings!

describe('findings', () => {
  it.each<[string, CaseResult[], string]>([
    ['one accepted is enough for a whenAny rule', [result('a', ['refused']), result('b', ['accepted'])], 'lax'],
    ['every condition of a when rule, a step by its number', [result('a', ['refused']), result('b', ['refused']), result('c', ['accepted', 'refused'])], 'strict'],
    ['a step that was not the one named', [result('a', ['refused']), result('b', ['refused']), result('c', ['refused', 'accepted'])], 'other'],
    ['a case that did not run matches no condition', [result('a', ['refused']), result('b', ['refused'])], 'other'],
  ])('classify: %s', (_, results, label) => {
    expect(evaluateFinding(suite, policy!, results).value).toBe(label)
  })

  it.each<[Answer[], string]>([
    [['accepted', 'accepted', 'refused', 'refused'], '60 s (refused at 120 s)'],
    [['accepted', 'accepted', 'accepted', 'accepted'], 'at least 300 s (every value tried was accepted)'],
    [['refused', 'refused', 'refused', 'refused'], 'none accepted (refused from 30 s)'],
    [['accepted', 'no answer'], 'at least 30 s (every value tried was accepted)'],
  ])('measure: %j is %s', (answers, value) => {
    expect(evaluateFinding(suite, window!, [result('w', answers)]).value).toBe(value)
  })

  it('measure: says how many requests the ladder sent, and when its answers are not one window', () => {
    expect(evaluateFinding(suite, window!, [result('w', ['accepted', 'accepted', 'refused', 'refused'])])).toMatchObject({
      requests: 4,
      detail: '4 requests: 30 s accepted, 60 s accepted, 120 s refused, 300 s refused',
    })
    expect(evaluateFinding(suite, window!, [result('w', ['refused', 'accepted', 'refused', 'refused'])]).value).toBe('60 s (refused at 120 s), though refused at 30 s: the answers are not one window')
    expect(evaluateFinding(suite, window!, [result('w', ['refused', 'accepted', 'accepted', 'accepted'])]).value).toBe('at least 300 s, though refused at 30 s: the answers are not one window')
  })

  it('says why a case it reads has no answer: skipped or errored, with the reason', () => {
    const stopped = { ...result('c', ['accepted', 'refused']), outcome: 'skipped', reason: 'not measured: the control (step 2, introspection) … was refused (HTTP 400 invalid_client)' } as CaseResult
    const f = evaluateFinding(suite, policy!, [result('a', ['refused']), result('b', ['refused']), stopped])
    expect(f.detail).toBe('a refused, step 2 of c refused (a: refused, b: refused, c#2: refused)')
    const none = evaluateFinding(suite, policy!, [result('a', ['refused']), result('b', ['refused']), { ...stopped, answers: undefined }])
    expect(none.detail).toBe('none of the above (a: refused, b: refused, c#2: not run (skipped: not measured: the control (step 2, introspection) … was refused (HTTP 400 invalid_client)))')
    expect(evaluateFinding(suite, window!, [{ ...result('w', undefined), outcome: 'skipped', reason: 'the target has no dpop' } as CaseResult]).detail).toBe(
      'w sent no request (skipped: the target has no dpop)',
    )
  })

  it('says what it saw beside the label', () => {
    const f = evaluateFinding(suite, policy!, [result('a', ['refused']), result('b', ['accepted'])])
    expect(f).toMatchObject({ suite: 's', id: 'policy', title: 'Policy', detail: 'accepts anything (a: refused, b: accepted, c#2: not run)' })
    expect(evaluateFinding(suite, window!, []).value).toBe('not measured')
  })
})
