/**
 * Requirement ids (`RFC6749-5.2`, `RFC6749-A.12`, `OIDC-CORE-9`) and their one resolver to a link,
 * used by suites, the engine and every reporter.
 *
 * @module
 */

/** `DOC-SECTION`, where DOC is a known document and SECTION a section or appendix number. */
export const REQUIREMENT_ID = /^(RFC\d{4}|OIDC-CORE|OAUTH21|ERRATA)-([A-Z]|\d+)(\.\d+)*$/

const RFC_TITLES: Record<string, string> = {
  RFC6749: 'OAuth 2.0',
  RFC6750: 'Bearer Token Usage',
  RFC7009: 'Token Revocation',
  RFC7515: 'JSON Web Signature',
  RFC7517: 'JSON Web Key',
  RFC7521: 'Assertion Framework',
  RFC7523: 'JWT Profile for Client Authentication',
  RFC7662: 'Token Introspection',
  RFC8414: 'Authorization Server Metadata',
  RFC8707: 'Resource Indicators',
  RFC9068: 'JWT Access Tokens',
  RFC9449: 'DPoP',
  RFC8725: 'JWT Best Current Practices',
  RFC9700: 'Security BCP',
}

export interface RequirementLink {
  id: string
  /** The document, e.g. `RFC 6749 (OAuth 2.0)`. */
  document: string
  section: string
  /** How the requirement is named in text: `RFC 6749 §5.2`, `Erratum 5708`. */
  label: string
  url: string
}

/**
 * Resolves a requirement id to its document and a link to the section.
 *
 * @throws TypeError for an id that does not match {@link REQUIREMENT_ID}.
 */
export function resolveRequirement(id: string): RequirementLink {
  const match = REQUIREMENT_ID.exec(id)
  if (!match) throw new TypeError(`unknown requirement id "${id}"`)
  const doc = match[1]!
  const section = id.slice(doc.length + 1)
  if (doc.startsWith('RFC')) {
    const anchor = /^[A-Z]/.test(section) ? `appendix-${section}` : `section-${section}`
    const title = RFC_TITLES[doc]
    return {
      id,
      document: `RFC ${doc.slice(3)}${title ? ` (${title})` : ''}`,
      section,
      label: `RFC ${doc.slice(3)} §${section}`,
      url: `https://www.rfc-editor.org/rfc/${doc.toLowerCase()}.html#${anchor}`,
    }
  }
  if (doc === 'ERRATA')
    return { id, document: 'RFC erratum', section, label: `Erratum ${section}`, url: `https://www.rfc-editor.org/errata/eid${section}` }
  if (doc === 'OAUTH21')
    return {
      id,
      document: 'OAuth 2.1 (draft)',
      section,
      label: `OAuth 2.1 §${section}`,
      url: `https://datatracker.ietf.org/doc/html/draft-ietf-oauth-v2-1#section-${section}`,
    }
  return {
    id,
    document: 'OpenID Connect Core 1.0',
    section,
    label: `OpenID Connect Core §${section}`,
    url: 'https://openid.net/specs/openid-connect-core-1_0.html',
  }
}

/** The document part of an id (`RFC6749`), used to group cases in reports. */
export function requirementDocument(id: string): string {
  return REQUIREMENT_ID.exec(id)?.[1] ?? id
}
