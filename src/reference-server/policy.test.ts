import { describe, expect, it } from 'vitest'
import { BEHAVIOURS } from './behaviours.ts'
import { DEFECTS } from './defects.ts'
import { LAWFUL } from './lawful.ts'
import { CONFORMANT, type Policy } from './policy.ts'
import { policyOf } from './app.ts'
import { compatible } from '../../test/_sampler.ts'

/**
 * Defects that set two fields: jwt-no-kid needs several keys to be a defect at all; the key
 * defects pin jwtAlg to the algorithm of the key they break, so that no lawful variation signs
 * with another key (test/_sampler.ts keeps apart switches that set one field differently).
 */
const TWO_FIELD_DEFECTS = ['jwt-no-kid', 'jwks-rsa-1024', 'jwks-rsa-exponent-1', 'jwks-rsa-even-exponent', 'jwks-ec-off-curve', 'jwks-alg-mismatch']
/** Rows that set one field: provider behaviours, and defects but those that need two. */
const rows = Object.entries({ ...DEFECTS, ...BEHAVIOURS } as Record<string, { set: Partial<Policy> }>).filter(([name]) => !TWO_FIELD_DEFECTS.includes(name))
const lawful = Object.entries(LAWFUL as Record<string, { set: Partial<Policy> }>)

describe('the reference server policy', () => {
  it('has no name in two of the defects, lawful variations and provider behaviours', () => {
    const names = [...Object.keys(DEFECTS), ...Object.keys(LAWFUL), ...Object.keys(BEHAVIOURS)]
    expect(names.filter((n, i) => names.indexOf(n) !== i)).toEqual([])
  })

  it.each(rows)('%s overrides exactly one field, with a value the conformant server does not have', (_, row) => {
    const fields = Object.keys(row.set) as Array<keyof Policy>
    expect(fields).toHaveLength(1)
    const field = fields[0]!
    expect(Object.hasOwn(CONFORMANT, field), `unknown field ${field}`).toBe(true)
    expect(row.set[field]).not.toEqual(CONFORMANT[field])
  })

  it.each(lawful)('lawful %s sets known fields, at least one to a value the conformant server does not have', (_, row) => {
    const fields = Object.keys(row.set) as Array<keyof Policy>
    expect(fields.filter((f) => !Object.hasOwn(CONFORMANT, f))).toEqual([])
    expect(fields.some((f) => row.set[f] !== CONFORMANT[f])).toBe(true)
  })

  it.each(TWO_FIELD_DEFECTS)('%s sets two known fields, one to a value the conformant server does not have', (name) => {
    const row = (DEFECTS as Record<string, { set: Partial<Policy> }>)[name]!
    const fields = Object.keys(row.set) as Array<keyof Policy>
    expect(fields).toHaveLength(2)
    expect(fields.filter((f) => !Object.hasOwn(CONFORMANT, f))).toEqual([])
    expect(fields.some((f) => row.set[f] !== CONFORMANT[f])).toBe(true)
  })

  it('keeps each key defect apart from the lawful variation that signs with another key', () => {
    expect(compatible('jwks-rsa-1024', 'jwt-es256')).toBe(false)
    expect(compatible('jwks-ec-off-curve', 'jwt-es256')).toBe(true)
    expect(compatible('jwks-ec-off-curve', 'no-kid-single-key')).toBe(false)
    expect(compatible('jwks-symmetric-key', 'jwt-es256')).toBe(true)
  })

  it('has no field that no defect, lawful variation or behaviour changes: each exists for a named deviation', () => {
    const twoField = TWO_FIELD_DEFECTS.map((name) => [name, (DEFECTS as Record<string, { set: Partial<Policy> }>)[name]!] as const)
    const changed = new Set([...rows, ...lawful, ...twoField].flatMap(([, row]) => Object.keys(row.set)))
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
