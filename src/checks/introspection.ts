/**
 * Checks on token introspection (RFC 7662) and revocation (RFC 7009) responses.
 *
 * @see [RFC 7662 §2](https://www.rfc-editor.org/rfc/rfc7662.html#section-2)
 * @see [RFC 7009 §2.2](https://www.rfc-editor.org/rfc/rfc7009.html#section-2.2)
 * @module
 */
import * as z from 'zod'
import { bodyObject, fails, gist, holds, mediaType, member, noArgs, notApplicable, sameSet, scopeSet, showValue, x5tArgs, x5tVerdict } from './_util.ts'
import { grantedScope } from './token-response.ts'
import { defineCheck } from './types.ts'

export const active = defineCheck({
  id: 'introspection.active',
  summary: 'The introspection response is HTTP 200 JSON whose "active" is the expected boolean.',
  args: z.strictObject({ expected: z.boolean() }),
  run(input, args) {
    const expected = `HTTP 200, application/json, "active": ${args.expected}`
    const body = bodyObject(input)
    const actual = `HTTP ${input.response.status}, "active": ${JSON.stringify(body?.active)}`
    if (input.response.status !== 200) return fails(expected, gist(input), 'an introspection answer is HTTP 200 (RFC 7662 §2.2)')
    if (mediaType(input.response.headers) !== 'application/json' || !body) return fails(expected, actual, 'the answer is a JSON object (RFC 7662 §2.2)')
    if (typeof body.active !== 'boolean') return fails(expected, actual, '"active" is REQUIRED and a boolean (RFC 7662 §2.2)')
    return body.active === args.expected
      ? holds(expected, actual, `the token is reported ${args.expected ? 'active' : 'inactive'}`)
      : fails(expected, actual, `the token is reported ${body.active ? 'active' : 'inactive'}`)
  },
})

export const describesToken = defineCheck({
  id: 'introspection.describes-token',
  summary: 'An active token is described truthfully: client_id, scope and token_type, where given.',
  args: noArgs,
  run(input) {
    const body = bodyObject(input) ?? {}
    const expected = `client_id "${input.request.clientId}", the granted scope, token_type Bearer or DPoP (each OPTIONAL)`
    const problems: string[] = []
    const notes: string[] = []
    const [clientId, scope, tokenType] = [member(body, 'client_id'), member(body, 'scope'), member(body, 'token_type')]
    if (clientId === undefined) notes.push('no client_id')
    else if (clientId !== input.request.clientId) problems.push(`client_id is ${showValue(clientId)}`)
    const granted = grantedScope(input)
    if (typeof scope === 'string' && granted && !sameSet(scopeSet(scope), granted.scopes)) problems.push(`scope is "${scope}", the grant was "${[...granted.scopes].join(' ')}"`)
    if (scope === undefined) notes.push('no scope')
    if (tokenType !== undefined && !['bearer', 'dpop'].includes(String(tokenType).toLowerCase())) problems.push(`token_type is ${showValue(tokenType)}`)
    const actual = JSON.stringify({ client_id: body.client_id, scope: body.scope, token_type: body.token_type })
    return problems.length ? fails(expected, actual, problems.join('; ')) : holds(expected, actual, notes.length ? `consistent (${notes.join(', ')}: OPTIONAL members)` : 'consistent with the token')
  },
})

/**
 * "To prevent token scanning attacks, the endpoint MUST also require some form of authorization
 * to access this endpoint" (RFC 7662 §2.1).
 */
export const refusedWithoutAuthorization = defineCheck({
  id: 'introspection.requires-authorization',
  summary: 'Introspection without credentials does not reveal that a valid token is active.',
  args: noArgs,
  run(input) {
    const body = bodyObject(input)
    const expected = 'a refusal (4xx), or at least no "active": true'
    const actual = gist(input) + (body && 'active' in body ? `, "active": ${JSON.stringify(body.active)}` : '')
    if (input.response.status >= 400 && input.response.status < 500) return holds(expected, actual, 'refused')
    if (body?.active === true) return fails(expected, actual, 'anyone can learn that the token is valid: the endpoint requires no authorization')
    if (input.response.status === 200) return holds(expected, actual, 'answered without revealing the token')
    return fails(expected, actual, `unexpected HTTP ${input.response.status}`)
  },
})

export const revocationAccepted = defineCheck({
  id: 'revocation.accepted',
  summary: 'The revocation endpoint answers HTTP 200 (or unsupported_token_type for a token type it cannot revoke).',
  args: noArgs,
  run(input) {
    const expected = 'HTTP 200, or 400 unsupported_token_type'
    // "The authorization server responds with HTTP status code 200 if the token has been revoked
    // successfully or if the client submitted an invalid token." (RFC 7009 §2.2) A server that
    // does not revoke this type of token says so with unsupported_token_type (§2.2.1).
    if (input.response.status === 200) return holds(expected, gist(input), 'accepted')
    if (bodyObject(input)?.error === 'unsupported_token_type') return holds(expected, gist(input), 'the server does not revoke this type of token (RFC 7009 §2.2.1)')
    return fails(expected, gist(input), `HTTP ${input.response.status}: invalid tokens do not cause an error response (RFC 7009 §2.2)`)
  },
})

/**
 * RFC 8705 §3.2: for a certificate-bound token, the introspection response carries cnf with the
 * x5t#S256 member, so that a resource server that introspects can check the binding as one that
 * reads a JWT can.
 */
export const cnfX5t = defineCheck({
  id: 'introspection.cnf-x5t',
  summary: "An active certificate-bound token introspects with cnf.x5t#S256, the thumbprint of the client's certificate.",
  args: x5tArgs,
  run(input, args) {
    const body = bodyObject(input)
    if (body?.active !== true) return notApplicable('the token is not reported active')
    return x5tVerdict(body.cnf, input.request.certificateThumbprint, args.aspect, 'the introspected token')
  },
})
