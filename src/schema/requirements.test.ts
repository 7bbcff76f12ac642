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

  it('resolve Internet-Drafts with their version, OpenID and FAPI specifications', () => {
    expect(resolveRequirement('draft-ietf-oauth-rfc7523bis-11-4.1')).toMatchObject({
      document: 'draft-ietf-oauth-rfc7523bis-11 (Internet-Draft)',
      section: '4.1',
      label: 'draft-ietf-oauth-rfc7523bis-11 §4.1',
      url: 'https://datatracker.ietf.org/doc/html/draft-ietf-oauth-rfc7523bis-11#section-4.1',
    })
    expect(requirementDocument('draft-ietf-oauth-v2-1-13-3.2')).toBe('draft-ietf-oauth-v2-1-13')
    expect(resolveRequirement('OIDC-CORE-9')).toMatchObject({ document: 'OpenID Connect Core 1.0', label: 'OpenID Connect Core §9' })
    expect(resolveRequirement('FAPI2-SP-5.3.2').url).toBe('https://openid.net/specs/fapi-security-profile-2_0-final.html#section-5.3.2')
    expect(() => resolveRequirement('draft-ietf-oauth-rfc7523bis-4.1')).toThrow(TypeError)
  })

  it('reject malformed ids', () => {
    expect(() => resolveRequirement('rfc6749-5.2')).toThrow(TypeError)
    expect(() => resolveRequirement('RFC6749')).toThrow(TypeError)
  })
})
