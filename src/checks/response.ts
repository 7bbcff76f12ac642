/**
 * Checks on any response: status, whether a token was issued, and recorded observations.
 *
 * @module
 */
import * as z from 'zod'
import { bodyObject, fails, gist, holds, noArgs, notApplicable } from './_util.ts'
import { defineCheck, type CheckInput } from './types.ts'

/** The error codes RFC 6749 §5.2 defines for the token endpoint. */
export const RFC6749_ERROR_CODES = ['invalid_request', 'invalid_client', 'invalid_grant', 'unauthorized_client', 'unsupported_grant_type', 'invalid_scope'] as const

export const statusIn = defineCheck({
  id: 'response.status-in',
  summary: 'The HTTP status is one of the expected ones.',
  args: z.strictObject({ in: z.array(z.int().min(100).max(599)).min(1) }),
  run(input, args) {
    const expected = args.in.join(' or ')
    const actual = gist(input)
    return args.in.includes(input.response.status) ? holds(expected, actual, `status ${input.response.status}`) : fails(expected, actual, `expected status ${expected}, got ${input.response.status}`)
  },
})

export const noTokenIssued = defineCheck({
  id: 'response.no-token-issued',
  summary: 'No access token is issued.',
  args: noArgs,
  run(input) {
    const actual = gist(input)
    const issued = input.response.status >= 200 && input.response.status < 300 && typeof bodyObject(input)?.access_token === 'string'
    return issued ? fails('no access token', actual, 'the server issued an access token to a request it must refuse') : holds('no access token', actual, 'no access token was issued')
  },
})

export const tokenOrError = defineCheck({
  id: 'response.token-or-error',
  summary: 'Either an access token (HTTP 200) or one of the allowed errors.',
  args: z.strictObject({ errors: z.array(z.string()).min(1).optional() }),
  run(input, args) {
    const allowed: readonly string[] = args.errors ?? RFC6749_ERROR_CODES
    // The status of an error is judged by error-response.status-400 (a SHOULD-level reading of
    // §5.2); here any 4xx carrying an allowed code counts as a refusal.
    const expected = `HTTP 200 with an access token, or a 4xx error ${allowed.join(' | ')}`
    const actual = gist(input)
    const body = bodyObject(input)
    const { status } = input.response
    if (status === 200 && typeof body?.access_token === 'string') return holds(expected, actual, 'an access token was issued')
    if (status >= 400 && status <= 499 && typeof body?.error === 'string' && allowed.includes(body.error)) return holds(expected, actual, `refused with "${body.error}"`)
    return fails(expected, actual, 'neither a token nor an allowed error response')
  },
})

/**
 * Records what the server did, for cases where the RFCs allow more than one answer. It always
 * holds; an INFO level in the suite makes it an observation rather than a verdict.
 */
export const observe = defineCheck({
  id: 'response.observe',
  summary: 'Records how the server answered (accepted or refused, and how).',
  args: noArgs,
  observation: true,
  run(input) {
    const body = bodyObject(input)
    const { status } = input.response
    let actual: string
    if (typeof body?.access_token === 'string') {
      actual = `accepted: HTTP ${status}, token issued ${typeof body.scope === 'string' ? `with scope "${body.scope}"` : 'with no scope returned'}`
    } else if (typeof body?.error === 'string') {
      const desc = typeof body.error_description === 'string' ? ` ("${body.error_description.slice(0, 200)}")` : ''
      actual = `refused: HTTP ${status}, error "${body.error}"${desc}`
    } else {
      actual = `HTTP ${status}${input.response.jsonError ? ', body is not JSON' : ''}`
    }
    return holds('either answer is allowed', actual, actual)
  },
})

/**
 * "The authorization server MUST require the use of TLS as described in Section 1.6 when sending
 * requests to the token endpoint." (RFC 6749 §3.2) A loopback test server is not judged.
 */
export const usesTls = defineCheck({
  id: 'request.uses-tls',
  summary: 'The token endpoint (the one the target names, else the one the metadata advertises) is an https: URL; plain http is not judged on loopback hosts.',
  args: noArgs,
  run(input) {
    const advertised = input.metadata?.token_endpoint
    const endpoint = input.target.tokenEndpoint ?? (typeof advertised === 'string' ? advertised : input.step === 'token' ? input.request.url : undefined)
    if (!endpoint || !URL.canParse(endpoint)) return notApplicable('no token endpoint URL is known')
    const url = new URL(endpoint)
    if (url.protocol === 'https:') return holds('https:', url.origin, 'the token endpoint uses TLS')
    const host = url.hostname
    if (host === 'localhost' || host === '[::1]' || /^127(\.\d{1,3}){3}$/.test(host)) return notApplicable(`${url.origin} is a loopback test server; TLS is not judged there`)
    return fails('https:', url.origin, 'credentials and tokens travel over plain HTTP')
  },
})

/** token_endpoint_auth_methods_supported, with RFC 8414's default when it is omitted. */
function advertisedMethods(metadata: Record<string, unknown>): string[] {
  const v = metadata.token_endpoint_auth_methods_supported
  // "If omitted, the default is 'client_secret_basic'" (RFC 8414 §2)
  return Array.isArray(v) ? v.map(String) : ['client_secret_basic']
}

export const authMethodAdvertised = defineCheck({
  id: 'response.auth-method-advertised',
  summary: 'A method that yielded a token is listed in token_endpoint_auth_methods_supported.',
  args: noArgs,
  run(input) {
    if (!input.metadata) return notApplicable('no metadata was discovered')
    if (!input.token) return notApplicable('no token was issued')
    const methods = advertisedMethods(input.metadata)
    const used = input.request.authMethod
    const expected = `a method from token_endpoint_auth_methods_supported (${methods.join(', ')})`
    return methods.includes(used) ? holds(expected, used, `${used} is advertised`) : fails(expected, used, `the server accepted ${used}, which its metadata does not advertise`)
  },
})

export const endpointWithoutFragment = defineCheck({
  id: 'request.endpoint-without-fragment',
  summary: 'The token_endpoint the metadata advertises has no fragment component.',
  args: noArgs,
  run(input) {
    const advertised = input.metadata?.token_endpoint
    if (typeof advertised !== 'string') return notApplicable('no token_endpoint was discovered (a configured one is checked when the target is loaded)')
    // "The endpoint URI MUST NOT include a fragment component." (RFC 6749 §3.2)
    return advertised.includes('#') ? fails('no fragment', advertised, 'the token endpoint URI has a fragment component') : holds('no fragment', advertised, 'no fragment')
  },
})

/** A body judged as JSON: one that parsed, or one whose Content-Type says it is JSON. */
function isJsonBody(input: CheckInput): boolean {
  return input.response.json !== undefined || /\bjson\b/i.test(input.response.headers.get('content-type') ?? '')
}

export const jsonUtf8 = defineCheck({
  id: 'response.json-utf8',
  summary: 'A JSON body is encoded in UTF-8, without a byte order mark.',
  args: noArgs,
  run(input) {
    if (!isJsonBody(input)) return notApplicable('the body is not JSON')
    const expected = 'UTF-8, without a byte order mark'
    const why = input.response.notUtf8
    // "JSON text exchanged between systems that are not part of a closed ecosystem MUST be encoded
    // using UTF-8 … Implementations MUST NOT add a byte order mark" (RFC 8259 §8.1)
    return why ? fails(expected, why, `the JSON body is not plain UTF-8: ${why}`) : holds(expected, 'UTF-8', 'UTF-8')
  },
})

export const uniqueMembers = defineCheck({
  id: 'response.unique-members',
  summary: 'No name is written twice in one object of a JSON body; with members, none of those names is.',
  args: z.strictObject({ members: z.array(z.string().min(1)).min(1).optional() }),
  run(input, args) {
    const written = input.response.duplicateMembers
    if (written === undefined) return notApplicable('the body is not a JSON text')
    const judged = args.members ? written.filter((path) => args.members!.includes(path)) : written
    const expected = args.members ? `${args.members.join(', ')} each at most once` : 'every member name once in its object'
    if (!judged.length) return holds(expected, written.length ? `none of these twice (written twice: ${written.join(', ')})` : 'no name twice', 'no name written twice')
    // A parser keeps one copy, and which one is up to it: a client and a resource server can read
    // different values (RFC 8259 §4).
    return fails(expected, `written twice: ${judged.join(', ')}`, `${judged.join(', ')} written more than once: which value a client reads depends on its JSON parser`)
  },
})
