/**
 * Requirement ids and their one resolver to a link, used by suites, the engine and every
 * reporter:
 * - RFC sections and appendices: `RFC6749-5.2`, `RFC6749-A.12`; errata: `ERRATA-5708`;
 * - Internet-Drafts, always with their version: `draft-ietf-oauth-rfc7523bis-11-4.1`
 *   (name, two-digit version, section);
 * - OpenID specifications: `OIDC-CORE-9`, `OIDC-DISCOVERY-3`, `OIDC-REGISTRATION-2`, FAPI 2.0
 *   `FAPI2-SP-5.3.2` (Security Profile) and `FAPI2-ATTACKER-4` (Attacker Model); `OAUTH21-3.2.3`.
 *
 * @module
 */

const SECTION = '([A-Z]|\\d+)(?:\\.\\d+)*'
const NAMED_DOCS = 'RFC\\d{4,5}|OIDC-CORE|OIDC-DISCOVERY|OIDC-REGISTRATION|FAPI2-SP|FAPI2-ATTACKER|OAUTH21|ERRATA'
const NAMED = new RegExp(`^(${NAMED_DOCS})-(${SECTION})$`)
const DRAFT = new RegExp(`^(draft-[a-z0-9]+(?:-[a-z0-9]+)*)-(\\d{2})-(${SECTION})$`)

/** A requirement id: a document of ours and a section, or an Internet-Draft with its version. */
export const REQUIREMENT_ID = new RegExp(`${NAMED.source}|${DRAFT.source}`)

const RFC_TITLES: Record<string, string> = {
  RFC6749: 'OAuth 2.0',
  RFC6750: 'Bearer Token Usage',
  RFC7009: 'Token Revocation',
  RFC7515: 'JSON Web Signature',
  RFC7517: 'JSON Web Key',
  RFC7518: 'JSON Web Algorithms',
  RFC7519: 'JSON Web Token',
  RFC7521: 'Assertion Framework',
  RFC7523: 'JWT Profile for Client Authentication',
  RFC7662: 'Token Introspection',
  RFC8017: 'PKCS #1',
  RFC8037: 'CFRG Curves in JOSE',
  RFC8259: 'JSON',
  RFC8414: 'Authorization Server Metadata',
  RFC8705: 'Mutual-TLS Client Authentication',
  RFC8707: 'Resource Indicators',
  RFC8725: 'JWT Best Current Practices',
  RFC9068: 'JWT Access Tokens',
  RFC9449: 'DPoP',
  RFC9700: 'Security BCP',
}

/** OpenID Foundation documents: their title and address (their HTML has no numbered anchors but FAPI's). */
const OPENID_DOCS: Record<string, { title: string; url: string; anchors: boolean }> = {
  'OIDC-CORE': { title: 'OpenID Connect Core 1.0', url: 'https://openid.net/specs/openid-connect-core-1_0.html', anchors: false },
  'OIDC-DISCOVERY': { title: 'OpenID Connect Discovery 1.0', url: 'https://openid.net/specs/openid-connect-discovery-1_0.html', anchors: false },
  'OIDC-REGISTRATION': { title: 'OpenID Connect Dynamic Client Registration 1.0', url: 'https://openid.net/specs/openid-connect-registration-1_0.html', anchors: false },
  'FAPI2-SP': { title: 'FAPI 2.0 Security Profile', url: 'https://openid.net/specs/fapi-security-profile-2_0-final.html', anchors: true },
  'FAPI2-ATTACKER': { title: 'FAPI 2.0 Attacker Model', url: 'https://openid.net/specs/fapi-attacker-model-2_0-final.html', anchors: true },
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

const anchorOf = (section: string) => (/^[A-Z]/.test(section) ? `appendix-${section}` : `section-${section}`)

/**
 * Resolves a requirement id to its document and a link to the section.
 *
 * @throws TypeError for an id that does not match {@link REQUIREMENT_ID}.
 */
export function resolveRequirement(id: string): RequirementLink {
  const draft = DRAFT.exec(id)
  if (draft) {
    const name = `${draft[1]}-${draft[2]}`
    const section = draft[3]!
    return { id, document: `${name} (Internet-Draft)`, section, label: `${name} §${section}`, url: `https://datatracker.ietf.org/doc/html/${name}#${anchorOf(section)}` }
  }
  const match = NAMED.exec(id)
  if (!match) throw new TypeError(`unknown requirement id "${id}"`)
  const doc = match[1]!
  const section = match[2]!
  if (doc.startsWith('RFC')) {
    const title = RFC_TITLES[doc]
    return {
      id,
      document: `RFC ${doc.slice(3)}${title ? ` (${title})` : ''}`,
      section,
      label: `RFC ${doc.slice(3)} §${section}`,
      url: `https://www.rfc-editor.org/rfc/${doc.toLowerCase()}.html#${anchorOf(section)}`,
    }
  }
  if (doc === 'ERRATA') return { id, document: 'RFC erratum', section, label: `Erratum ${section}`, url: `https://www.rfc-editor.org/errata/eid${section}` }
  if (doc === 'OAUTH21')
    return {
      id,
      document: 'OAuth 2.1 (draft)',
      section,
      label: `OAuth 2.1 §${section}`,
      url: `https://datatracker.ietf.org/doc/html/draft-ietf-oauth-v2-1#section-${section}`,
    }
  const openid = OPENID_DOCS[doc]!
  return { id, document: openid.title, section, label: `${openid.title.replace(/ 1\.0$/, '')} §${section}`, url: openid.anchors ? `${openid.url}#${anchorOf(section)}` : openid.url }
}

/** The document part of an id (`RFC6749`, `draft-ietf-oauth-rfc7523bis-11`), used to group cases in reports. */
export function requirementDocument(id: string): string {
  const draft = DRAFT.exec(id)
  if (draft) return `${draft[1]}-${draft[2]}`
  return NAMED.exec(id)?.[1] ?? id
}

/** The section part of an id (`5.2`, `A.12`). */
export function requirementSection(id: string): string {
  return DRAFT.exec(id)?.[3] ?? NAMED.exec(id)?.[2] ?? ''
}
