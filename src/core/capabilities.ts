/**
 * Names a case may list in `needs`: the built-in client roles, and capabilities of the target,
 * each with what is missing when the target lacks it. Validated when a suite is loaded, so a
 * typo is an error rather than a case skipped forever.
 *
 * @module
 */
import { formEncode } from './request/encoding.ts'
import type { ResolvedTarget } from './resolve.ts'

/** The client roles the built-in suites use; a suite declares any other under `roles`. */
export const BUILTIN_ROLES: Record<string, string> = {
  primary: 'any client with a secret (Basic must work for it, RFC 6749 §2.3.1)',
  post: 'a client registered for client_secret_post',
  special: 'a client whose secret has characters that form-urlencoding changes',
  jwt: 'a private_key_jwt client with an RSA key',
  jwtEc: 'a private_key_jwt client with a P-256 key',
  secretJwt: 'a client_secret_jwt client',
  noGrant: 'a client not allowed the client credentials grant',
}

/** What the capabilities are judged on. */
export interface TargetFacts {
  resolved: ResolvedTarget
  issuer?: string
  metadata?: Record<string, unknown>
  introspectionEndpoint?: string
  revocationEndpoint?: string
  /** Why an advertised endpoint is not used (an origin the target does not name). */
  refused?: Partial<Record<'token' | 'introspection' | 'revocation' | 'jwks', string>>
}

export const CAPABILITIES: Record<string, { has: (f: TargetFacts) => boolean; missing: string | ((f: TargetFacts) => string) }> = {
  'scopes.restricted': { has: (f) => f.resolved.target.scopes.restricted !== undefined, missing: 'the target names no restricted scope' },
  'scopes.multiple': { has: (f) => f.resolved.target.scopes.valid.length > 1, missing: 'the target lists only one valid scope' },
  audience: { has: (f) => f.resolved.target.audience !== undefined, missing: 'the target sets no audience' },
  resource: { has: (f) => f.resolved.target.resource !== undefined, missing: 'the target sets no resource' },
  'redirect-uri': { has: (f) => f.resolved.target.redirectUri !== undefined, missing: 'the target names no registered redirect URI (redirectUri)' },
  issuer: { has: (f) => f.issuer !== undefined, missing: 'the target names no issuer' },
  metadata: { has: (f) => f.metadata !== undefined, missing: 'no authorization server metadata was discovered' },
  introspection: { has: (f) => f.introspectionEndpoint !== undefined, missing: (f) => f.refused?.introspection ?? 'the target has no introspection endpoint (RFC 7662)' },
  revocation: { has: (f) => f.revocationEndpoint !== undefined, missing: (f) => f.refused?.revocation ?? 'the target has no revocation endpoint (RFC 7009)' },
  // RFC 9449 §5.1: dpop_signing_alg_values_supported advertises DPoP support.
  dpop: {
    has: (f) => Array.isArray(f.metadata?.dpop_signing_alg_values_supported) && (f.metadata.dpop_signing_alg_values_supported as unknown[]).includes('ES256'),
    missing: 'the metadata does not advertise DPoP with ES256 (dpop_signing_alg_values_supported)',
  },
  // Proving RFC 6749 §2.3.1 encoding needs a secret that form-urlencoding changes, and that is a
  // legal client secret: "client-secret = *VSCHAR" (Appendix A.2).
  'special-characters': {
    has: (f) => {
      const s = f.resolved.clients.special?.secret
      return s !== undefined && /^[\x20-\x7e]+$/.test(s) && formEncode(s) !== s
    },
    missing: 'the "special" client\'s secret must contain VSCHAR characters that form-urlencoding changes (such as space + % & : =), and nothing outside %x20-7E',
  },
}

export function isCapability(name: string): boolean {
  return Object.hasOwn(CAPABILITIES, name)
}

/** Why a case cannot run on this target: its missing roles and capabilities, or undefined. */
export function missingNeeds(names: readonly string[], facts: TargetFacts): string | undefined {
  const missing = names.filter((n) => (isCapability(n) ? !CAPABILITIES[n]!.has(facts) : !facts.resolved.clients[n]))
  if (!missing.length) return undefined
  const why = (n: string) => {
    const m = CAPABILITIES[n]!.missing
    return typeof m === 'string' ? m : m(facts)
  }
  return missing.map((n) => (isCapability(n) ? why(n) : `the target has no "${n}" client`)).join('; ')
}
