/**
 * Checks on a successful access token response.
 *
 * @see [RFC 6749 §5.1](https://www.rfc-editor.org/rfc/rfc6749.html#section-5.1)
 * @module
 */
import * as z from 'zod'
import { bodyObject, directives, fails, holds, mediaType, member, noArgs, notApplicable, sameSet, scopeSet, showValue, tokenScopeClaim } from './_util.ts'
import { defineCheck, type CheckInput } from './types.ts'

/** VSCHAR = %x20-7E (RFC 6749 Appendix A). */
const VSCHARS = /^[\x20-\x7e]+$/
/** scope = scope-token *( SP scope-token ), scope-token = 1*( %x21 / %x23-5B / %x5D-7E ) (§3.3). */
const SCOPE = /^[\x21\x23-\x5b\x5d-\x7e]+( [\x21\x23-\x5b\x5d-\x7e]+)*$/

export const jsonContentType = defineCheck({
  id: 'token-response.json-content-type',
  summary: 'The response is application/json (a charset parameter is allowed).',
  args: noArgs,
  run(input) {
    const ct = input.response.headers.get('content-type') ?? '(none)'
    // RFC 6750 erratum 6161: a charset parameter is not registered for application/json, but it
    // is harmless and common, so only the media type is judged.
    return mediaType(input.response.headers) === 'application/json' ? holds('application/json', ct, 'JSON media type') : fails('application/json', ct, `the Content-Type is ${ct}`)
  },
})

export const hasAccessToken = defineCheck({
  id: 'token-response.has-access-token',
  summary: 'The body is a JSON object with an access_token made of VSCHARs.',
  args: noArgs,
  run(input) {
    const expected = 'JSON object with "access_token": 1*VSCHAR'
    const body = bodyObject(input)
    if (!body) return fails(expected, input.response.jsonError ? 'body is not JSON' : 'body is not a JSON object', 'no token response')
    const at = body.access_token
    if (typeof at !== 'string') return fails(expected, `access_token is ${at === undefined ? 'missing' : typeof at}`, 'no access_token')
    if (at === '' || !VSCHARS.test(at)) return fails(expected, 'access_token has characters outside %x20-7E', 'access_token is not 1*VSCHAR')
    return holds(expected, `access_token present (${at.length} chars)`, 'access_token present')
  },
})

export const tokenType = defineCheck({
  id: 'token-response.token-type',
  summary: 'token_type is present and names the expected type, compared case-insensitively.',
  args: z.strictObject({ expected: z.string().default('Bearer') }),
  run(input, args) {
    const tt = bodyObject(input)?.token_type
    const expected = `token_type "${args.expected}" (case-insensitive)`
    if (typeof tt !== 'string') return fails(expected, `token_type is ${tt === undefined ? 'missing' : typeof tt}`, 'token_type is REQUIRED')
    // "Value is case insensitive." (RFC 6749 §5.1)
    return tt.toLowerCase() === args.expected.toLowerCase() ? holds(expected, `"${tt}"`, 'token type as expected') : fails(expected, `"${tt}"`, `token_type is "${tt}"`)
  },
})

export const expiresInValid = defineCheck({
  id: 'token-response.expires-in-valid',
  summary: 'expires_in, when present, is a positive integer JSON number.',
  args: noArgs,
  run(input) {
    const v = member(bodyObject(input), 'expires_in')
    const expected = 'absent, or a positive integer (1*DIGIT)'
    if (v === undefined) return holds(expected, 'absent', 'expires_in is absent (or null)')
    return typeof v === 'number' && Number.isInteger(v) && v > 0
      ? holds(expected, String(v), 'valid lifetime')
      : fails(expected, showValue(v), 'expires_in must be a positive integer number of seconds')
  },
})

export const hasExpiresIn = defineCheck({
  id: 'token-response.has-expires-in',
  summary: 'expires_in is present (RECOMMENDED).',
  args: noArgs,
  run(input) {
    const v = member(bodyObject(input), 'expires_in')
    return v === undefined ? fails('expires_in present', 'absent', 'the lifetime must then be documented elsewhere') : holds('expires_in present', showValue(v), 'expires_in present')
  },
})

export const scopeEcho = defineCheck({
  id: 'token-response.scope-echo',
  summary: 'A scope is returned, well-formed, whenever the granted scope differs from the request.',
  args: noArgs,
  run(input) {
    const body = bodyObject(input)
    const returned = member(body, 'scope')
    const requested = input.request.requestedScope
    const expected = 'scope returned when the grant differs from the request (RFC 6749 §3.3, §5.1)'
    if (!input.token) return notApplicable('no access token was issued')
    if (returned !== undefined && (typeof returned !== 'string' || (returned !== '' && !SCOPE.test(returned))))
      return fails('a space-delimited list of scope-tokens', showValue(returned), 'scope is malformed')
    if (typeof returned === 'string') return holds(expected, `"${returned}"`, 'scope returned')
    if (requested === undefined || requested === '') return notApplicable('no scope was requested, so the request and the grant cannot be compared')
    // Without a "scope" member the grant is, by the RFC's rule, identical to the request. A JWT
    // access token's own scope claim shows whether it really is.
    const granted = tokenScopeClaim(input)?.scopes
    if (granted && !sameSet(granted, scopeSet(requested)))
      return fails(expected, `no "scope"; the token grants "${[...granted].join(' ')}" for "${requested}"`, 'the grant differs from the request but scope was not returned')
    if (!granted && input.token?.jwt)
      return holds(expected, 'no "scope", and the token has no scope claim', 'nothing shows the grant differs from the request (RFC 9068 §2.2.3 only RECOMMENDS a scope claim)')
    if (granted) return holds(expected, `no "scope"; the token grants "${[...granted].join(' ')}", as requested`, 'scope omitted, and the token shows the grant is the requested one')
    // An opaque token shows nothing more: by §5.1's rule the grant is the requested one, but
    // nothing in the answer can show whether it really is.
    return notApplicable('no "scope" returned, and the token is opaque: by RFC 6749 §5.1 the grant is the requested one, which nothing in the answer can confirm or refute')
  },
})

export const cacheControlNoStore = defineCheck({
  id: 'token-response.cache-control-no-store',
  summary: 'Cache-Control contains no-store.',
  args: noArgs,
  run(input) {
    const v = input.response.headers.get('cache-control')
    return directives(v).includes('no-store')
      ? holds('Cache-Control: no-store', v!, 'no-store present')
      : fails('Cache-Control: no-store', v ?? '(absent)', 'a response containing tokens must not be stored')
  },
})

export const pragmaNoCache = defineCheck({
  id: 'token-response.pragma-no-cache',
  summary: 'Pragma: no-cache is present (RFC 6749 §5.1; OAuth 2.1 drops it, so suites call it when the profile is rfc6749).',
  args: noArgs,
  run(input) {
    const v = input.response.headers.get('pragma')
    return directives(v).includes('no-cache') ? holds('Pragma: no-cache', v!, 'Pragma present') : fails('Pragma: no-cache', v ?? '(absent)', 'RFC 6749 §5.1 requires Pragma: no-cache')
  },
})

export const noRefreshToken = defineCheck({
  id: 'token-response.no-refresh-token',
  summary: 'No refresh_token is issued for the client credentials grant.',
  args: noArgs,
  run(input) {
    const rt = member(bodyObject(input), 'refresh_token')
    return rt === undefined
      ? holds('no refresh_token', 'absent', 'no refresh token')
      : fails('no refresh_token', 'refresh_token present', '"A refresh token SHOULD NOT be included." (RFC 6749 §4.4.3)')
  },
})

/**
 * The scope a token grants, as far as it can be observed: its token response's "scope", else the
 * JWT access token's claim, else, by RFC 6749 §5.1's rule, the requested scope.
 */
export function grantedScope(input: CheckInput): { scopes: Set<string>; source: string } | undefined {
  const returned = input.token?.scope
  if (returned !== undefined) return { scopes: scopeSet(returned), source: 'the "scope" member' }
  const claim = tokenScopeClaim(input)
  if (claim) return { scopes: claim.scopes, source: `the token's ${claim.claim} claim` }
  const requested = input.request.requestedScope
  if (requested) return { scopes: scopeSet(requested), source: 'the request (no scope was returned, so the grant is as requested)' }
  return undefined
}

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i

/**
 * An upper bound on the entropy of an opaque token: its length times the bits of the smallest
 * common alphabet its characters fit in. A token below the bound is certainly too weak; one above
 * it may still be (a structured value), so only the first is ever judged a failure.
 */
function entropyUpperBound(token: string): { bits: number; how: string } {
  if (UUID_V4.test(token)) return { bits: 122, how: 'a version-4 UUID (122 random bits)' }
  const alphabets: Array<[RegExp, number, string]> = [
    [/^[0-9]+$/, 10, 'decimal'],
    [/^[0-9a-f]+$/, 16, 'lower-case hex'],
    [/^[0-9A-F]+$/, 16, 'upper-case hex'],
    [/^[0-9a-z]+$/, 36, 'lower-case alphanumeric'],
    [/^[0-9A-Za-z]+$/, 62, 'alphanumeric'],
    [/^[0-9A-Za-z_-]+$/, 64, 'base64url'],
    [/^[0-9A-Za-z+/=_.~-]+$/, 68, 'base64 and URL-safe punctuation'],
  ]
  const [, size, name] = alphabets.find(([re]) => re.test(token)) ?? [null, 95, 'printable ASCII']
  return { bits: Math.floor(token.length * Math.log2(size)), how: `${token.length} ${name} characters` }
}

/**
 * "The probability of an attacker guessing generated tokens … MUST be less than or equal to
 * 2^(-128) and SHOULD be less than or equal to 2^(-160)." (RFC 6749 §10.10) A signed JWT cannot be
 * guessed or modified without the key, so it is judged on its signature, not its length.
 */
export const accessTokenEntropy = defineCheck({
  id: 'token-response.access-token-entropy',
  summary: 'An opaque access token has at least minBits of entropy (upper-bound estimate); a JWT is signed.',
  args: z.strictObject({ minBits: z.int().min(1).max(512) }),
  run(input, args) {
    const token = input.token
    if (!token) return notApplicable('no access token was issued')
    const expected = `≥ ${args.minBits} bits`
    if (token.jwt) {
      const alg = token.jwt.header.alg
      const signature = token.value.split('.')[2] ?? ''
      if (typeof alg !== 'string' || alg.toLowerCase() === 'none' || signature === '')
        return fails(expected, `unsigned JWT (alg ${JSON.stringify(alg)})`, 'an unsigned JWT can be forged by anyone (RFC 6749 §10.3)')
      return holds(expected, `a JWT signed with ${alg}`, 'a signed JWT cannot be guessed or modified without the key')
    }
    const { bits, how } = entropyUpperBound(token.value)
    return bits >= args.minBits
      ? holds(expected, `at most ${bits} bits (${how})`, 'the token is long enough; randomness itself cannot be observed')
      : fails(expected, `at most ${bits} bits (${how})`, `the token can carry at most ${bits} bits of entropy`)
  },
})
