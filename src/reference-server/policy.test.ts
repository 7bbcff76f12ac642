import { describe, expect, it } from 'vitest'
import { BEHAVIOURS } from './behaviours.ts'
import { DEFECTS } from './defects.ts'
import { CONFORMANT, type Policy } from './policy.ts'
import { policyOf } from './app.ts'

const rows = Object.entries({ ...DEFECTS, ...BEHAVIOURS } as Record<string, { set: Partial<Policy> }>)

describe('the reference server policy', () => {
  it('has no name that is both a defect and a provider behaviour', () => {
    const both = Object.keys(DEFECTS).filter((d) => Object.hasOwn(BEHAVIOURS, d))
    expect(both).toEqual([])
  })

  it.each(rows)('%s overrides exactly one field, with a value the conformant server does not have', (_, row) => {
    const fields = Object.keys(row.set) as Array<keyof Policy>
    expect(fields).toHaveLength(1)
    const field = fields[0]!
    expect(Object.hasOwn(CONFORMANT, field), `unknown field ${field}`).toBe(true)
    expect(row.set[field]).not.toEqual(CONFORMANT[field])
  })

  it('has no field that no defect or behaviour changes: each exists for a named deviation', () => {
    const changed = new Set(rows.flatMap(([, row]) => Object.keys(row.set)))
    expect(Object.keys(CONFORMANT).filter((f) => !changed.has(f))).toEqual([])
  })

  it('combines names field by field, the later name winning, and ignores nothing silently', () => {
    expect(policyOf([])).toEqual(CONFORMANT)
    const p = policyOf(['no-cache-headers', 'success-status-201'])
    expect([p.cacheHeaders, p.tokenStatus]).toEqual([false, 201])
    expect(policyOf(['empty-scope-invalid-request', 'empty-scope-invalid-scope']).emptyScope).toBe('invalid_scope')
    expect(() => policyOf(['no-such-defect'])).toThrow(/unknown defect "no-such-defect"/)
  })
})
