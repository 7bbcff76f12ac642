/**
 * Expectations: named checks (which carry the RFC reasoning), generic assertions (a location in
 * the answer and a closed operator, for anyone's own policy), reusable groups of either, and the
 * conditions under which a case or an expectation applies.
 *
 * @module
 */
import * as z from 'zod'
import { REQUIREMENT_ID } from './requirements.ts'
import { ValueSchema } from './request.ts'
import { CLIENT_AUTH_PROFILES } from './target.ts'

export const LEVELS = ['MUST', 'SHOULD', 'MAY', 'INFO'] as const
export type Level = (typeof LEVELS)[number]

const CHECK_ID = /^[a-z0-9-]+(\.[a-z0-9-]+)+$/
export const GROUP_NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/

const oneOrMany = <T extends z.ZodType>(t: T) => z.union([t, z.array(t).min(1)])

const TOKEN_FORMATS = ['jwt', 'opaque', 'at+jwt', 'other-jwt'] as const
const metadataMember = z.string().regex(/^[a-zA-Z0-9_]+$/, 'a metadata member name such as dpop_signing_alg_values_supported')

/**
 * When a case or an expectation applies. Every condition given must hold; otherwise the case is
 * skipped, or the expectation is not judged, with the condition as the reason.
 */
export const WhenSchema = z.strictObject({
  profile: oneOrMany(z.enum(['rfc6749', 'oauth21']))
    .optional()
    .describe('the RFC rules the target is judged by (a provider profile names its base)'),
  clientAuthProfile: oneOrMany(z.enum(CLIENT_AUTH_PROFILES)).optional().describe("the target's rules for JWT client authentication"),
  token: z.enum(TOKEN_FORMATS).optional().describe('the access token of the answer: jwt, opaque, at+jwt (a JWT with typ at+jwt) or other-jwt (a JWT with another typ)'),
  advertises: z
    .union([z.array(metadataMember).min(1), z.record(metadataMember, ValueSchema)])
    .optional()
    .describe('metadata members that are present, or that equal (or, for a list, include) the value given'),
})
export type When = z.infer<typeof WhenSchema>

/**
 * Where a generic assertion looks:
 * - `status`; `headers/<name>` (case-insensitive; repeated headers joined with ", ");
 * - `body` (the text) or `body/<JSON Pointer>` (RFC 6901);
 * - `token.header/<pointer>`, `token.claims/<pointer>`: the decoded JWT access token (or the JWT in
 *   the body member `from` names);
 * - derived values: `token.lifetime` (exp − iat), `token.audiences` (aud as a list),
 *   `token.format` (jwt or opaque), `granted-scopes` (from "scope", else the token's scope claim,
 *   else the request, as RFC 6749 §5.1 reads an omitted scope).
 */
const LOCATION = /^(status|body(\/.*)?|headers\/[A-Za-z0-9!#$%&'*+.^_`|~-]+|token\.(header|claims)(\/.*)?|token\.(lifetime|audiences|format)|granted-scopes)$/
const POINTER = /^(\/([^~/]|~[01])*)*$/

export const OPERATORS = ['equals', 'notEquals', 'oneOf', 'matches', 'exists', 'absent', 'lessThan', 'atMost', 'greaterThan', 'atLeast', 'contains', 'excludes', 'subsetOf', 'type', 'sameAs'] as const
export type Operator = (typeof OPERATORS)[number]

const VALUE_TYPES = ['string', 'number', 'integer', 'boolean', 'array', 'object', 'null'] as const

const location = z
  .string()
  .regex(LOCATION, 'a location: status, headers/<name>, body, body/<pointer>, token.header/<pointer>, token.claims/<pointer>, token.lifetime, token.audiences, token.format or granted-scopes')
  .refine((l) => POINTER.test(l.replace(/^(body|token\.header|token\.claims)/, '')) || !/^(body|token\.header|token\.claims)/.test(l), 'not a JSON Pointer (RFC 6901): "~" must be followed by 0 or 1')

export const ExpectSchema = z
  .strictObject({
    check: z.string().regex(CHECK_ID, 'check ids are dotted, e.g. token-response.has-access-token').optional().describe('a named check'),
    group: z.string().regex(GROUP_NAME, 'group names are kebab-case').optional().describe('a named group of expectations, e.g. refused'),
    args: z.record(z.string(), z.unknown()).optional().describe("the named check's or group's arguments"),
    that: location.optional().describe('a generic assertion: where to look'),
    from: z.string().regex(POINTER, 'a JSON Pointer such as /id_token').optional().describe('token.* locations: the body member holding the JWT (default /access_token)'),
    equals: ValueSchema.optional(),
    notEquals: ValueSchema.optional(),
    oneOf: ValueSchema.optional().describe('a list, or a reference to one'),
    matches: z.string().optional().describe('a regular expression (JavaScript syntax), or /pattern/flags'),
    exists: z.literal(true).optional(),
    absent: z.literal(true).optional(),
    lessThan: ValueSchema.optional(),
    atMost: ValueSchema.optional(),
    greaterThan: ValueSchema.optional(),
    atLeast: ValueSchema.optional(),
    contains: ValueSchema.optional().describe('a list holds this element; a text holds this text'),
    excludes: ValueSchema.optional().describe('the opposite of contains (an absent value excludes everything)'),
    subsetOf: ValueSchema.optional().describe('every element (or the value itself) is in this list'),
    type: z.enum(VALUE_TYPES).optional(),
    sameAs: z
      .int()
      .min(1)
      .optional()
      .describe(
        "the number of an earlier step (1 is the first): the location holds what it held in that step's answer. Absent in both is the same; granted-scopes and token.audiences compare as sets",
      ),
    id: z.string().regex(CHECK_ID, 'ids are dotted, e.g. policy.aud-is-our-api').optional().describe('an assertion\'s name in reports (default: "that <location>")'),
    level: z.enum(LEVELS).optional().describe("overrides the case's level"),
    requirements: z.array(z.string().regex(REQUIREMENT_ID, 'like RFC6749-5.2')).optional(),
    when: WhenSchema.optional(),
    description: z.string().optional(),
  })
  .superRefine((e, ctx) => {
    const kinds = (['check', 'group', 'that'] as const).filter((k) => e[k] !== undefined)
    if (kinds.length !== 1) {
      ctx.addIssue({ code: 'custom', path: kinds.length ? [kinds[1]!] : [], message: 'give exactly one of "check", "group" or "that"' })
      return
    }
    const ops = OPERATORS.filter((o) => e[o] !== undefined)
    if (e.that !== undefined) {
      if (ops.length !== 1) ctx.addIssue({ code: 'custom', path: ops.length ? [ops[1]!] : ['that'], message: `give exactly one operator: ${OPERATORS.join(', ')}` })
      if (e.args !== undefined) ctx.addIssue({ code: 'custom', path: ['args'], message: 'an assertion takes no "args"' })
      if (e.from !== undefined && !e.that.startsWith('token.')) ctx.addIssue({ code: 'custom', path: ['from'], message: '"from" goes with token.* locations' })
    } else {
      if (ops.length) ctx.addIssue({ code: 'custom', path: [ops[0]!], message: `"${ops[0]}" is an operator of assertions ("that")` })
      if (e.from !== undefined) ctx.addIssue({ code: 'custom', path: ['from'], message: '"from" goes with assertions ("that")' })
      if (e.id !== undefined) ctx.addIssue({ code: 'custom', path: ['id'], message: '"id" names assertions; checks and groups have their own names' })
    }
    if (e.group !== undefined && (e.level !== undefined || e.requirements !== undefined))
      ctx.addIssue({
        code: 'custom',
        path: [e.level !== undefined ? 'level' : 'requirements'],
        message: 'a group sets the levels and requirements of its expectations itself (its parameters may let you choose them)',
      })
  })
export type Expect = z.infer<typeof ExpectSchema>
