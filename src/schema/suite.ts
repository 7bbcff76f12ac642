/**
 * The suite language: cases made of requests described as data (request.ts), expectations
 * (expect.ts) and `${references}` to the target (refs.ts). It is closed and validated: no code, no
 * free-form expressions; anything a case cannot say is a reason to extend the language.
 *
 * @module
 */
import * as z from 'zod'
import { ExpectSchema, GROUP_NAME, LEVELS, WhenSchema } from './expect.ts'
import { REQUIREMENT_ID } from './requirements.ts'
import { RequestSchema, ROLE_NAME, ValueSchema } from './request.ts'

export { LEVELS } from './expect.ts'

const SUITE_VERSION = 2

const version = z.literal(SUITE_VERSION, {
  error: (issue) =>
    issue.input === 1 ? 'version 1 suites are no longer read: the language now describes requests as data (see docs/suite-language.md); write version: 2' : `write version: ${SUITE_VERSION}`,
})

/**
 * One step of a case. `request` sends a request (by default the case's); `replay` sends the
 * previous request again, byte for byte (a replayed assertion); `introspect` and `revoke` send the
 * token issued by the case's first request (or one nobody issued) to the introspection or
 * revocation endpoint, as the client; `inspect` sends nothing and judges what discovery found and
 * what the target names. A step with `control` is a control: the same kind of request with nothing
 * under test, whose refusal would make the later steps' answers meaningless; when it is refused,
 * the case stops, skipped as not measured.
 */
const StepSchema = z
  .strictObject({
    do: z.enum(['request', 'replay', 'introspect', 'revoke', 'inspect']).default('request'),
    request: RequestSchema.optional().describe('request: what to send (default: the case request); introspect and revoke: the client, authentication and headers'),
    token: z.enum(['issued', 'garbage']).optional().describe('introspect and revoke: the issued token (default) or one nobody issued'),
    control: z
      .string()
      .min(1)
      .optional()
      .describe(
        'makes the step a control, and says what its acceptance shows (e.g. "the introspection endpoint takes a fresh assertion with the run\'s audience"): unless its request is accepted, the case stops there, skipped as not measured, with the answer it got',
      ),
    expect: z.array(ExpectSchema).min(1),
  })
  .superRefine((s, ctx) => {
    if (s.token !== undefined && s.do !== 'introspect' && s.do !== 'revoke') ctx.addIssue({ code: 'custom', path: ['token'], message: '"token" goes with introspect and revoke steps' })
    if (s.control !== undefined && s.do === 'inspect') ctx.addIssue({ code: 'custom', path: ['control'], message: 'an inspect step sends nothing, so it cannot be a control' })
    if (s.request !== undefined && (s.do === 'replay' || s.do === 'inspect'))
      ctx.addIssue({ code: 'custom', path: ['request'], message: `a ${s.do} step sends ${s.do === 'replay' ? 'the previous request' : 'nothing'}` })
  })

const CASE_ID = /^[a-z0-9]+(-[a-z0-9]+)*$/

const CaseSchema = z
  .strictObject({
    id: z.string().regex(CASE_ID, 'case ids are kebab-case'),
    title: z.string().min(1),
    description: z.string().optional(),
    requirements: z.array(z.string().regex(REQUIREMENT_ID, 'like RFC6749-5.2, draft-ietf-oauth-rfc7523bis-11-4 or OIDC-CORE-9')).min(1),
    level: z.enum(LEVELS),
    needs: z.array(z.string()).default([]).describe('client roles and target capabilities (scopes.restricted, introspection, dpop, …) the case needs'),
    when: WhenSchema.optional().describe('the case applies only when these hold; otherwise it is skipped with the reason'),
    request: RequestSchema.optional().describe('the request of a one-request case, and the first step of a case with steps'),
    expect: z.array(ExpectSchema).min(1).optional().describe('checks of a one-request case'),
    steps: z.array(StepSchema).min(1).optional().describe('a case of several requests, each with its checks'),
  })
  .refine((c) => (c.expect === undefined) !== (c.steps === undefined), {
    message: 'give either "expect" (one request) or "steps", not both',
    path: ['expect'],
  })
export type Case = z.infer<typeof CaseSchema>

const paramName = z.string().regex(/^[a-zA-Z][a-zA-Z0-9]*$/, 'parameter names are camelCase words')

/** What a server did with a request: gave what was asked (a token; an introspection or revocation answer), refused it, or did not answer. */
const ANSWERS = ['accepted', 'refused', 'no answer'] as const
export type Answer = (typeof ANSWERS)[number]

/** A case's answer (its last request's), or one step's as `case#<step>` (1 is the first). */
const answerRef = z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*(#[1-9]\d?)?$/, 'a case id of this suite, or case#<step number>')

/**
 * What a suite concludes about a server from the answers its cases got, reported beside the
 * verdicts: a classification (the first rule whose answers all match names it) or a measure (the
 * largest value of a ladder of requests that was still accepted). Findings judge nothing; the
 * cases do.
 */
const FindingSchema = z
  .strictObject({
    id: z.string().regex(CASE_ID, 'finding ids are kebab-case'),
    title: z.string().min(1),
    description: z.string().optional(),
    classify: z
      .array(
        z.strictObject({
          label: z.string().min(1),
          means: z.string().min(1).describe('what this label says about the server'),
          when: z.record(answerRef, z.enum(ANSWERS)).optional().describe('every one of these answers, as given'),
          whenAny: z.record(answerRef, z.enum(ANSWERS)).optional().describe('at least one of these answers, as given'),
        }),
      )
      .min(1)
      .optional()
      .describe('labels in order; the first whose conditions hold is the finding (a rule without conditions always holds)'),
    measure: z
      .strictObject({
        case: z.string().regex(CASE_ID),
        values: z.array(z.number()).min(1).describe("the value each of the case's requests tried, in step order"),
        unit: z.string().min(1),
      })
      .optional()
      .describe('the largest value whose request was accepted'),
  })
  .refine((f) => (f.classify === undefined) !== (f.measure === undefined), { message: 'give either "classify" or "measure"', path: ['classify'] })
export type Finding = z.infer<typeof FindingSchema>

/** A named group of expectations; `${args.<name>}` in them stands for an argument. */
const GroupSchema = z.strictObject({
  description: z.string().min(1),
  params: z.record(paramName, z.strictObject({ description: z.string().min(1), default: ValueSchema.optional().describe('used when the argument is not given') })).default({}),
  expect: z.array(z.record(z.string(), z.unknown())).min(1).describe('expectations, validated where the group is used'),
})
export type Group = z.infer<typeof GroupSchema>

const groups = z.record(z.string().regex(GROUP_NAME, 'group names are kebab-case'), GroupSchema)

export const SuiteSchema = z.strictObject({
  $schema: z.string().optional(),
  version,
  id: z.string().regex(CASE_ID, 'suite ids are kebab-case'),
  title: z.string().min(1),
  description: z.string().optional(),
  roles: z
    .record(z.string().regex(ROLE_NAME, 'role names are camelCase words'), z.string().min(1))
    .optional()
    .describe('client roles this suite uses beyond the built-in ones (primary, post, special, jwt, jwtEc, secretJwt, noGrant), each with what it is'),
  groups: groups.optional().describe('expectation groups of this suite, besides the built-in ones'),
  cases: z.array(CaseSchema).min(1),
  findings: z.array(FindingSchema).optional().describe('what the suite concludes from the answers its cases got (a policy, a measured window)'),
})
export type Suite = z.infer<typeof SuiteSchema>

/** A file of expectation groups shared by every suite (suites/_groups.yaml). */
export const GroupLibrarySchema = z.strictObject({
  $schema: z.string().optional(),
  version,
  groups,
})
