/**
 * Checks on an error response from the token endpoint.
 *
 * @see [RFC 6749 §5.2](https://www.rfc-editor.org/rfc/rfc6749.html#section-5.2)
 * @module
 */
import * as z from 'zod'
import { bodyObject, fails, gist, holds, mediaType, member, noArgs, notApplicable, showValue } from './_util.ts'
import { RFC6749_ERROR_CODES } from './response.ts'
import { defineCheck } from './types.ts'

/** error and error_description: %x20-21 / %x23-5B / %x5D-7E. */
const ERROR_CHARS = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/
/** error_uri: %x21 / %x23-5B / %x5D-7E. */
const ERROR_URI_CHARS = /^[\x21\x23-\x5b\x5d-\x7e]*$/

export const errorCode = defineCheck({
  id: 'error-response.error-code',
  summary: 'A 4xx JSON error response whose "error" is one of the expected codes.',
  args: z.strictObject({ in: z.array(z.string()).min(1) }),
  run(input, args) {
    const expected = `error ${args.in.map((e) => `"${e}"`).join(' or ')}`
    const actual = gist(input)
    const { status } = input.response
    const error = bodyObject(input)?.error
    if (status < 400 || status > 499) return fails(expected, actual, `expected a 4xx error response, got HTTP ${status}`)
    if (typeof error !== 'string') return fails(expected, actual, 'the body has no "error" member')
    return args.in.includes(error) ? holds(expected, actual, `error "${error}"`) : fails(expected, actual, `error is "${error}"`)
  },
})

export const wellFormed = defineCheck({
  id: 'error-response.well-formed',
  summary: 'The error response is JSON with error, error_description and error_uri in their allowed characters.',
  args: noArgs,
  run(input) {
    const expected = 'application/json body with "error" (and optional description, uri) in the allowed characters'
    if (input.response.status < 400) return notApplicable('not an error response')
    const body = bodyObject(input)
    const ct = input.response.headers.get('content-type') ?? '(none)'
    if (!body) return fails(expected, `Content-Type ${ct}; body is not a JSON object`, 'error responses use a JSON object (§5.2)')
    const problems: string[] = []
    if (mediaType(input.response.headers) !== 'application/json') problems.push(`Content-Type is ${ct}`)
    if (typeof body.error !== 'string' || body.error === '') problems.push('"error" is missing')
    else if (!ERROR_CHARS.test(body.error)) problems.push('"error" has characters outside %x20-21 / %x23-5B / %x5D-7E')
    const desc = member(body, 'error_description')
    if (desc !== undefined && (typeof desc !== 'string' || !ERROR_CHARS.test(desc))) problems.push('"error_description" has characters outside %x20-21 / %x23-5B / %x5D-7E')
    const uri = member(body, 'error_uri')
    if (uri !== undefined && (typeof uri !== 'string' || !ERROR_URI_CHARS.test(uri))) problems.push('"error_uri" has characters outside %x21 / %x23-5B / %x5D-7E')
    return problems.length ? fails(expected, problems.join('; '), problems.join('; ')) : holds(expected, `error "${String(body.error)}"`, 'well-formed error response')
  },
})

/**
 * "If the client attempted to authenticate via the 'Authorization' request header field, the
 * authorization server MUST respond with an HTTP 401 (Unauthorized) status code and include the
 * 'WWW-Authenticate' response header field matching the authentication scheme used by the
 * client." (RFC 6749 §5.2, invalid_client)
 */
export const basicChallenge = defineCheck({
  id: 'error-response.invalid-client-basic-challenge',
  summary: 'A refused Basic-authenticated client gets 401 with a WWW-Authenticate Basic challenge.',
  args: noArgs,
  run(input) {
    if (!input.request.usedBasic) return notApplicable('the client did not authenticate with an Authorization header')
    // The rule belongs to invalid_client (or a bare 401, which refuses the credentials at the HTTP
    // level); a refusal for another reason (a client not allowed the grant, two methods at once)
    // owes no Basic challenge. If it answers 401, HTTP asks for some challenge, of any scheme
    // (RFC 9110 §15.5.2); its status is judged by status-400.
    const error = bodyObject(input)?.error
    const challenge = input.response.headers.get('www-authenticate')
    const authenticationRefused = error === 'invalid_client' || (typeof error !== 'string' && input.response.status === 401)
    if (!authenticationRefused) {
      const why = `refused with ${typeof error === 'string' ? `"${error}"` : 'no error code'} and HTTP ${input.response.status}, not as failed client authentication`
      if (input.response.status !== 401 || challenge) return notApplicable(why)
      return fails('a 401 answer carries a WWW-Authenticate challenge (RFC 9110 §15.5.2)', `HTTP 401, WWW-Authenticate: (absent)`, `${why}, but a 401 without a challenge`)
    }
    const expected = 'HTTP 401 and WWW-Authenticate: Basic …'
    const actual = `HTTP ${input.response.status}, WWW-Authenticate: ${challenge ?? '(absent)'}`
    if (input.response.status !== 401) return fails(expected, actual, `status is ${input.response.status}, not 401`)
    if (!challenge) return fails(expected, actual, 'no WWW-Authenticate header')
    return hasScheme(challenge, 'basic') ? holds(expected, actual, 'Basic challenge present') : fails(expected, actual, 'the challenge does not name the Basic scheme')
  },
})

/** True when a WWW-Authenticate value has a challenge with this auth-scheme (case-insensitive). */
function hasScheme(header: string, scheme: string): boolean {
  const unquoted = header.replace(/"(?:[^"\\]|\\.)*"/g, '""')
  return new RegExp(`(?:^|,)\\s*${scheme}(?:\\s|,|$)`, 'i').test(unquoted)
}

/** Error codes a token endpoint may return: RFC 6749 §5.2, RFC 8707 §2, RFC 9449 §5 and §8. */
const TOKEN_ENDPOINT_ERROR_CODES = [...RFC6749_ERROR_CODES, 'invalid_target', 'invalid_dpop_proof', 'use_dpop_nonce']

export const registeredCode = defineCheck({
  id: 'error-response.registered-code',
  summary: 'The error code is one the token endpoint specifications define.',
  args: noArgs,
  run(input) {
    if (input.response.status < 400) return notApplicable('not an error response')
    const error = bodyObject(input)?.error
    const expected = TOKEN_ENDPOINT_ERROR_CODES.join(' | ')
    if (typeof error !== 'string') return fails(expected, 'no "error" member', 'the error response names no error code')
    return TOKEN_ENDPOINT_ERROR_CODES.includes(error)
      ? holds(expected, `"${error}"`, 'a registered error code')
      : fails(expected, `"${error}"`, `"${error}" is not an error code of the token endpoint (RFC 6749 §5.2)`)
  },
})

/**
 * "The authorization server responds with an HTTP 400 (Bad Request) status code (unless
 * specified otherwise)" (RFC 6749 §5.2): only invalid_client may use 401.
 */
export const status400 = defineCheck({
  id: 'error-response.status-400',
  summary: 'An error response uses HTTP 400, or 401 for invalid_client.',
  args: noArgs,
  run(input) {
    const { status } = input.response
    if (status < 400) return notApplicable('not an error response')
    const error = bodyObject(input)?.error
    const allowed = error === 'invalid_client' ? [400, 401] : [400]
    const expected = `HTTP ${allowed.join(' or ')}${error === 'invalid_client' ? ' for invalid_client' : ''}`
    const actual = `HTTP ${status}, error ${showValue(error)}`
    return allowed.includes(status) ? holds(expected, actual, `status ${status}`) : fails(expected, actual, `an error response with HTTP ${status}`)
  },
})
