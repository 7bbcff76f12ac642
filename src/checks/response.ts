/**
 * Checks on any response: status, whether a token was issued, and recorded observations.
 *
 * @module
 */
import * as z from 'zod'
import { bodyObject, fails, gist, holds } from './_util.ts'
import { defineCheck } from './types.ts'

/** The error codes RFC 6749 §5.2 defines for the token endpoint. */
export const RFC6749_ERROR_CODES = [
  'invalid_request',
  'invalid_client',
  'invalid_grant',
  'unauthorized_client',
  'unsupported_grant_type',
  'invalid_scope',
] as const

export const statusIn = defineCheck({
  id: 'response.status-in',
  summary: 'The HTTP status is one of the expected ones.',
  args: z.strictObject({ in: z.array(z.int().min(100).max(599)).min(1) }),
  run(input, args) {
    const expected = args.in.join(' or ')
    const actual = gist(input)
    return args.in.includes(input.response.status)
      ? holds(expected, actual, `status ${input.response.status}`)
      : fails(expected, actual, `expected status ${expected}, got ${input.response.status}`)
  },
})

export const noTokenIssued = defineCheck({
  id: 'response.no-token-issued',
  summary: 'No access token is issued.',
  args: z.strictObject({}),
  run(input) {
    const actual = gist(input)
    const issued = input.response.status >= 200 && input.response.status < 300 && typeof bodyObject(input)?.access_token === 'string'
    return issued
      ? fails('no access token', actual, 'the server issued an access token to a request it must refuse')
      : holds('no access token', actual, 'no access token was issued')
  },
})

export const tokenOrError = defineCheck({
  id: 'response.token-or-error',
  summary: 'Either an access token (HTTP 200) or one of the allowed errors.',
  args: z.strictObject({ errors: z.array(z.string()).min(1).optional() }),
  run(input, args) {
    const allowed: readonly string[] = args.errors ?? RFC6749_ERROR_CODES
    const expected = `HTTP 200 with an access token, or HTTP 400/401 with error ${allowed.join(' | ')}`
    const actual = gist(input)
    const body = bodyObject(input)
    const { status } = input.response
    if (status === 200 && typeof body?.access_token === 'string') return holds(expected, actual, 'an access token was issued')
    if ((status === 400 || status === 401) && typeof body?.error === 'string' && allowed.includes(body.error))
      return holds(expected, actual, `refused with "${body.error}"`)
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
  args: z.strictObject({}),
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
