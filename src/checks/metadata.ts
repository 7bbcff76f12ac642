/**
 * Checks on the authorization server metadata (RFC 8414) and the key set it points to.
 *
 * @see [RFC 8414 §2](https://www.rfc-editor.org/rfc/rfc8414.html#section-2)
 * @module
 */
import { fails, holds, noArgs, notApplicable, showValue } from './_util.ts'
import { KNOWN_KTY, keyName, keyProblems } from './jwk-rules.ts'
import { defineCheck, type CheckInput } from './types.ts'

const listOf = (v: unknown): string[] | undefined => (Array.isArray(v) ? v.map(String) : undefined)

function metadataOf(input: CheckInput): Record<string, unknown> | string {
  return input.metadata ?? 'no metadata was discovered'
}

export const issuerIdentical = defineCheck({
  id: 'metadata.issuer-identical',
  summary: 'Every well-known document served names exactly the issuer it was fetched for.',
  args: noArgs,
  run(input) {
    if (!input.discovery || !input.target.issuer) return notApplicable('the target names no issuer, so nothing was discovered')
    const expected = `"issuer": "${input.target.issuer}" in every metadata document served`
    const served = input.discovery.filter((d) => d.status === 200 && d.issuer !== undefined)
    const wrong = served.filter((d) => d.issuer !== input.target.issuer)
    const actual = served.map((d) => `${d.url}: ${JSON.stringify(d.issuer)}`).join('; ') || 'no document served'
    // "The issuer value returned MUST be identical to the authorization server's issuer
    // identifier value into which the well-known URI string was inserted" (RFC 8414 §3.3)
    return wrong.length ? fails(expected, actual, `${wrong.map((d) => d.url).join(', ')} names another issuer; its data must not be used`) : holds(expected, actual, 'issuer identical')
  },
})

export const tokenEndpointPresent = defineCheck({
  id: 'metadata.token-endpoint-present',
  summary: 'token_endpoint is present and an absolute https: URL (or loopback http:).',
  args: noArgs,
  run(input) {
    const md = metadataOf(input)
    if (typeof md === 'string') return notApplicable(md)
    const v = md.token_endpoint
    let url: URL | undefined
    try {
      url = typeof v === 'string' ? new URL(v) : undefined
    } catch {
      url = undefined
    }
    return url && (url.protocol === 'https:' || url.protocol === 'http:')
      ? holds('an absolute URL', String(v), 'token_endpoint present')
      : fails('an absolute URL', showValue(v), 'token_endpoint is REQUIRED (RFC 8414 §2)')
  },
})

export const grantTypesIncludeClientCredentials = defineCheck({
  id: 'metadata.grant-types-include-client-credentials',
  summary: 'grant_types_supported lists client_credentials (its default does not).',
  args: noArgs,
  run(input) {
    const md = metadataOf(input)
    if (typeof md === 'string') return notApplicable(md)
    // "If omitted, the default value is ["authorization_code", "implicit"]." (RFC 8414 §2)
    const list = listOf(md.grant_types_supported) ?? ['authorization_code', 'implicit']
    const actual = md.grant_types_supported === undefined ? 'omitted (default: authorization_code, implicit)' : showValue(md.grant_types_supported)
    return list.includes('client_credentials')
      ? holds('includes client_credentials', actual, 'client_credentials advertised')
      : fails('includes client_credentials', actual, 'the metadata does not advertise the grant the server serves')
  },
})

export const noPasswordGrant = defineCheck({
  id: 'metadata.no-password-grant',
  summary: 'grant_types_supported does not offer the resource owner password credentials grant.',
  args: noArgs,
  run(input) {
    const md = metadataOf(input)
    if (typeof md === 'string') return notApplicable(md)
    const list = listOf(md.grant_types_supported) ?? []
    // "The resource owner password credentials grant [RFC6749] MUST NOT be used." (RFC 9700 §2.4)
    return list.includes('password')
      ? fails('no "password"', showValue(md.grant_types_supported), 'the password grant is offered')
      : holds('no "password"', JSON.stringify(md.grant_types_supported ?? null), 'not offered')
  },
})

export const signingAlgsForJwtMethods = defineCheck({
  id: 'metadata.signing-algs-for-jwt-methods',
  summary: 'With private_key_jwt or client_secret_jwt advertised, their signing algorithms are listed, never "none".',
  args: noArgs,
  run(input) {
    const md = metadataOf(input)
    if (typeof md === 'string') return notApplicable(md)
    const methods = listOf(md.token_endpoint_auth_methods_supported) ?? ['client_secret_basic']
    const jwtMethods = methods.filter((m) => m === 'private_key_jwt' || m === 'client_secret_jwt')
    if (!jwtMethods.length) return notApplicable('no JWT client authentication method is advertised')
    const algs = listOf(md.token_endpoint_auth_signing_alg_values_supported)
    const expected = 'token_endpoint_auth_signing_alg_values_supported present, without "none"'
    // "This metadata entry MUST be present if either of these authentication methods are
    // specified … The value none MUST NOT be used." (RFC 8414 §2)
    if (!algs) return fails(expected, 'absent', `${jwtMethods.join(' and ')} advertised without their signing algorithms`)
    if (algs.map((a) => a.toLowerCase()).includes('none')) return fails(expected, showValue(algs), '"none" is listed')
    return holds(expected, showValue(algs), 'listed')
  },
})

export const responseTypesPresent = defineCheck({
  id: 'metadata.response-types-present',
  summary: 'response_types_supported is present (REQUIRED by RFC 8414, though a client-credentials server uses none).',
  args: noArgs,
  run(input) {
    const md = metadataOf(input)
    if (typeof md === 'string') return notApplicable(md)
    return Array.isArray(md.response_types_supported)
      ? holds('present', showValue(md.response_types_supported), 'present')
      : fails('present', 'absent', 'response_types_supported is REQUIRED (RFC 8414 §2)')
  },
})

/**
 * The key set at jwks_uri: a JWK Set (RFC 7517 §5) whose every key may be trusted (jwk-rules.ts:
 * public members only, no shared secret, RSA of 2048 bits or more with an odd exponent of at least
 * 3, EC points on their curve, alg fitting the key), kids unique. Keys for encryption, x5c, members
 * grantcheck does not read and key types it does not know are lawful; the last are named, not judged.
 */
export const jwksValid = defineCheck({
  id: 'metadata.jwks-valid',
  summary: 'jwks_uri serves a JWK Set of public keys that may be trusted (RFC 7518 key sizes, exponents and curves, alg fitting kty), each with kty and a unique kid.',
  args: noArgs,
  needsJwks: true,
  run(input) {
    if (!input.jwks) return notApplicable('no jwks_uri is known')
    if ('notFetched' in input.jwks) return notApplicable(input.jwks.notFetched)
    const expected = 'a JWK Set: "keys" with public keys fit to be trusted, kty on each, unique kids'
    if ('error' in input.jwks) return fails(expected, input.jwks.error, `the key set cannot be read: ${input.jwks.error}`)
    const { keys } = input.jwks
    if (!keys.length) return fails(expected, 'no keys', 'the key set is empty')
    const problems: string[] = []
    const kids = new Set<unknown>()
    const unknown = new Set<string>()
    keys.forEach((k, i) => {
      for (const p of keyProblems(k)) problems.push(`${keyName(k, i)} ${p}`)
      const key = k !== null && typeof k === 'object' ? k : {}
      if (typeof key.kty === 'string' && !KNOWN_KTY.includes(key.kty)) unknown.add(key.kty)
      if (key.kid !== undefined) {
        if (kids.has(key.kid)) problems.push(`kid ${JSON.stringify(key.kid)} is used twice`)
        kids.add(key.kid)
      }
    })
    const shown = (k: Record<string, unknown> | null) => (k !== null && typeof k === 'object' ? `${String(k.kty)}${k.kid !== undefined ? ` ${JSON.stringify(k.kid)}` : ''}` : showValue(k))
    const actual = `${keys.length} key(s): ${keys.map(shown).join(', ')}`
    if (problems.length) return fails(expected, problems.join('; '), problems.join('; '))
    const note = unknown.size ? ` (kty ${[...unknown].join(', ')}: not a key type grantcheck knows, so not judged)` : ''
    return holds(expected, actual, `a valid public key set${note}`)
  },
})

/** The advertised endpoints a client-credentials client sends credentials or tokens to, or fetches. */
const CALLED_ENDPOINTS = ['token_endpoint', 'introspection_endpoint', 'revocation_endpoint', 'jwks_uri']

/**
 * An advertised endpoint on an origin the target does not name could be anyone's (the "malicious
 * endpoint" form of mix-up, RFC 9700 §4.4): grantcheck does not send credentials or tokens there,
 * and says so here. The target vouches for an origin by naming it (allowedOrigins).
 */
export const endpointsOnNamedOrigins = defineCheck({
  id: 'metadata.endpoints-on-named-origins',
  summary: 'Every endpoint the metadata advertises for use here is an http(s) URL on an origin the target names or allows.',
  args: noArgs,
  run(input) {
    const md = metadataOf(input)
    if (typeof md === 'string') return notApplicable(md)
    const allowed = input.target.allowedOrigins
    const expected = `token_endpoint, introspection_endpoint, revocation_endpoint and jwks_uri on ${allowed.join(', ') || 'the origins the target names'}`
    const problems: string[] = []
    for (const member of CALLED_ENDPOINTS) {
      const v = md[member]
      if (v === undefined) continue
      const url = typeof v === 'string' && URL.canParse(v) ? new URL(v) : undefined
      if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) problems.push(`${member} is not an http(s) URL: ${JSON.stringify(v).slice(0, 200)}`)
      else if (!allowed.includes(url.origin)) problems.push(`${member} is on ${url.origin}`)
    }
    return problems.length
      ? fails(expected, problems.join('; '), `${problems.join('; ')}: not called, since the target names no such origin (name it, or list it in allowedOrigins, if it is the server's)`)
      : holds(expected, 'all on named origins', 'every advertised endpoint is on an origin the target names')
  },
})

const ALIASED = ['token_endpoint', 'introspection_endpoint', 'revocation_endpoint']

/**
 * RFC 8705 §5: mtls_endpoint_aliases is a JSON object whose members are endpoint URLs, used in
 * preference by a client doing mutual TLS; §3.3: tls_client_certificate_bound_access_tokens is a
 * boolean. An alias is a URL of the same kind as the endpoint it stands for: absolute, https (RFC
 * 6749 §3.2), no fragment (RFC 8414 §2 for the endpoints themselves).
 */
export const mtlsMetadata = defineCheck({
  id: 'metadata.mtls',
  summary: 'mtls_endpoint_aliases, when present, is an object of absolute https URLs, and tls_client_certificate_bound_access_tokens a boolean.',
  args: noArgs,
  run(input) {
    const md = metadataOf(input)
    if (typeof md === 'string') return notApplicable(md)
    const aliases = md.mtls_endpoint_aliases
    const bound = md.tls_client_certificate_bound_access_tokens
    if (aliases === undefined && bound === undefined) return notApplicable('the metadata advertises neither mtls_endpoint_aliases nor tls_client_certificate_bound_access_tokens')
    const expected = 'mtls_endpoint_aliases: { endpoint name: absolute https URL }; tls_client_certificate_bound_access_tokens: boolean'
    const problems: string[] = []
    if (bound !== undefined && typeof bound !== 'boolean') problems.push(`tls_client_certificate_bound_access_tokens is ${JSON.stringify(bound).slice(0, 60)}, not a boolean`)
    if (aliases !== undefined) {
      if (aliases === null || typeof aliases !== 'object' || Array.isArray(aliases)) problems.push('mtls_endpoint_aliases is not a JSON object')
      else
        for (const [member, v] of Object.entries(aliases as Record<string, unknown>)) {
          const url = typeof v === 'string' && URL.canParse(v) ? new URL(v) : undefined
          const loopback = url?.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)
          if (!url || (url.protocol !== 'https:' && !loopback)) problems.push(`${member} is not an absolute https URL: ${JSON.stringify(v).slice(0, 120)}`)
          else if (url.hash) problems.push(`${member} has a fragment`)
        }
    }
    const actual = JSON.stringify({ mtls_endpoint_aliases: aliases, tls_client_certificate_bound_access_tokens: bound }).slice(0, 400)
    if (problems.length) return fails(expected, actual, problems.join('; '))
    const named = aliases && typeof aliases === 'object' ? Object.keys(aliases).filter((k) => ALIASED.includes(k)) : []
    return holds(expected, actual, named.length ? `aliases for ${named.join(', ')}` : 'well-formed')
  },
})
