import { describe, expect, it } from 'vitest'
import { requirementDocument, resolveRequirement } from './requirements.ts'

describe('requirement ids', () => {
  it('resolve sections and appendices of RFCs to rfc-editor links', () => {
    expect(resolveRequirement('RFC6749-5.2').url).toBe('https://www.rfc-editor.org/rfc/rfc6749.html#section-5.2')
    expect(resolveRequirement('RFC6749-A.14').url).toBe('https://www.rfc-editor.org/rfc/rfc6749.html#appendix-A.14')
    expect(resolveRequirement('RFC9068-2.2').document).toBe('RFC 9068 (JWT Access Tokens)')
    expect(resolveRequirement('ERRATA-5708').url).toBe('https://www.rfc-editor.org/errata/eid5708')
    expect(requirementDocument('RFC6749-2.3.1')).toBe('RFC6749')
  })

  it('reject malformed ids', () => {
    expect(() => resolveRequirement('rfc6749-5.2')).toThrow(TypeError)
    expect(() => resolveRequirement('RFC6749')).toThrow(TypeError)
  })
})
