import { describe, expect, it } from 'vitest'
import { InputInvalidError } from './errors.ts'
import { expandGroup, planGroupLibrary } from './groups.ts'

const library = planGroupLibrary(
  {
    version: 2,
    groups: {
      'error-is': {
        description: 'an error code',
        params: { codes: { description: 'the codes' }, level: { description: 'how much it matters', default: 'MUST' } },
        expect: [{ check: 'error-response.error-code', args: { in: '${args.codes}' }, level: '${args.level}', description: 'one of ${args.codes}' }],
      },
    },
  },
  'groups.yaml',
)

describe('expectation groups', () => {
  it('stand for their expectations, whole-value arguments keeping their type, defaults filled in', () => {
    expect(expandGroup('error-is', { codes: ['invalid_client', 'invalid_request'] }, library)).toEqual({
      expectations: [{ check: 'error-response.error-code', args: { in: ['invalid_client', 'invalid_request'] }, level: 'MUST', description: 'one of invalid_client invalid_request' }],
    })
  })

  it('refuse an unknown group, an unknown argument and a missing one', () => {
    expect(expandGroup('eror-is', {}, library)).toEqual({ field: 'group', error: 'unknown group "eror-is"; did you mean "error-is"? (groups: error-is)' })
    expect(expandGroup('error-is', { codes: [], lvl: 'SHOULD' }, library)).toMatchObject({ field: 'args', error: expect.stringContaining('no parameter "lvl"') })
    expect(expandGroup('error-is', {}, library)).toMatchObject({ field: 'args', error: 'group "error-is" needs the argument "codes" (the codes)' })
  })

  it('refuse a definition that uses an undeclared argument', () => {
    const bad = { version: 2, groups: { g: { description: 'd', expect: [{ check: 'response.observe', description: '${args.nope}' }] } } }
    expect(() => planGroupLibrary(bad, 'g.yaml')).toThrow(InputInvalidError)
    expect(() => planGroupLibrary(bad, 'g.yaml')).toThrow(/\$\{args\.nope\} is not a parameter of this group/)
  })
})
