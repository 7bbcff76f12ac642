/**
 * The suite language: a small, closed vocabulary of cases, request mutations and named checks.
 * There are no expressions and no templating; anything a schema cannot say belongs in a check.
 *
 * @module
 */
import * as z from 'zod'
import { REQUIREMENT_ID } from './requirements.ts'

export const LEVELS = ['MUST', 'SHOULD', 'MAY', 'INFO'] as const
export type Level = (typeof LEVELS)[number]

/**
 * How the client presents its credentials. `registered` is the client's own `authMethod`; the
 * others deviate from it on purpose (negative and interoperability cases).
 */
export const AUTH_PRESENTATIONS = [
  'registered',
  'basic',
  'basic-unencoded',
  'post',
  'basic-and-post',
  'query',
  'none',
  'other-than-registered',
] as const
export type AuthPresentation = (typeof AUTH_PRESENTATIONS)[number]

/** Which of the target's scopes the request carries. */
export const SCOPE_CHOICES = [
  'default',
  'omit',
  'empty',
  'unknown',
  'restricted',
  'all-valid',
  'all-valid-reversed',
  'valid-and-restricted',
] as const
export type ScopeChoice = (typeof SCOPE_CHOICES)[number]

const paramName = z.string().regex(/^[A-Za-z0-9_.-]+$/, 'not a parameter name')

/**
 * Deviations of a client assertion (RFC 7523) from the spec-correct one: iss = sub = client_id,
 * aud = token endpoint, fresh jti, exp one minute ahead, signed with the client's key.
 */
export const AssertionMutateSchema = z.strictObject({
  aud: z.enum(['wrong', 'issuer']).optional().describe('another audience, or the issuer identifier'),
  exp: z.enum(['expired']).optional(),
  nbf: z.enum(['future']).optional(),
  alg: z.enum(['none']).optional().describe('an unsigned assertion'),
  signature: z.enum(['corrupt']).optional(),
  key: z.enum(['unregistered', 'public-key-as-hmac-secret']).optional(),
  sub: z.enum(['other']).optional(),
  iss: z.enum(['other']).optional(),
  type: z.enum(['missing']).optional().describe('leaves out client_assertion_type'),
  clientId: z.enum(['other']).optional().describe('adds a body client_id naming another client'),
})

/** A DPoP proof (RFC 9449) for the request, correct unless a deviation is named. */
export const DpopMutateSchema = z.strictObject({
  proof: z.enum(['valid', 'wrong-htm', 'wrong-htu', 'old-iat', 'private-key-in-jwk', 'wrong-typ']).default('valid'),
})

export const MutateSchema = z.strictObject({
  auth: z.enum(AUTH_PRESENTATIONS).optional(),
  clientId: z.enum(['unknown']).optional().describe('replace the client identifier'),
  secret: z.enum(['wrong']).optional().describe('replace the client secret'),
  scope: z.enum(SCOPE_CHOICES).optional(),
  redirectUri: z
    .enum(['registered', 'unregistered'])
    .optional()
    .describe("adds redirect_uri: the target's registered one, or one no client registered"),
  method: z.enum(['POST', 'GET', 'PUT']).optional().describe('GET sends the parameters in the query'),
  body: z.enum(['form', 'json']).optional().describe('how the parameters are encoded'),
  params: z
    .strictObject({
      set: z.record(paramName, z.string()).optional(),
      remove: z.array(paramName).optional(),
      duplicate: z.array(paramName).optional(),
    })
    .optional(),
  headers: z.record(z.string().regex(/^[A-Za-z0-9-]+$/), z.string()).optional(),
  resource: z.enum(['fragment', 'relative']).optional().describe('replaces resource with a malformed one (RFC 8707 §2)'),
  assertion: AssertionMutateSchema.optional(),
  dpop: DpopMutateSchema.optional(),
})
export type Mutate = z.infer<typeof MutateSchema>
export type AssertionMutate = z.infer<typeof AssertionMutateSchema>

export const ExpectSchema = z.strictObject({
  check: z.string().regex(/^[a-z0-9-]+(\.[a-z0-9-]+)+$/, 'check ids are dotted, e.g. token-response.has-access-token'),
  args: z.record(z.string(), z.unknown()).optional(),
  level: z.enum(LEVELS).optional().describe("overrides the case's level for this check"),
  requirements: z.array(z.string().regex(REQUIREMENT_ID)).optional(),
})
export type Expect = z.infer<typeof ExpectSchema>

const RequestSchema = z.strictObject({
  client: z.string().default('primary'),
  mutate: MutateSchema.optional(),
})

/**
 * One step of a case. `token` sends a token request; `replay` sends the previous token request
 * again, byte for byte (a replayed assertion); `introspect` and `revoke` send the token issued by
 * the case's first token step (or a garbage one) to the introspection or revocation endpoint;
 * `inspect` sends nothing and judges the metadata discovery found.
 */
export const StepSchema = z.strictObject({
  do: z.enum(['token', 'replay', 'introspect', 'revoke', 'inspect']),
  request: RequestSchema.optional().describe('for token steps; defaults to the case request'),
  token: z.enum(['issued', 'garbage']).optional().describe('for introspect and revoke: which token (default issued)'),
  auth: z.enum(['client', 'none']).optional().describe('for introspect and revoke: authenticate as the client (default) or not at all'),
  expect: z.array(ExpectSchema).min(1),
})
export type Step = z.infer<typeof StepSchema>

export const CaseSchema = z
  .strictObject({
    id: z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'case ids are kebab-case'),
    title: z.string().min(1),
    description: z.string().optional(),
    requirements: z.array(z.string().regex(REQUIREMENT_ID, 'like RFC6749-5.2')).min(1),
    level: z.enum(LEVELS),
    needs: z
      .array(z.string())
      .default([])
      .describe('client roles and target capabilities (scopes.restricted, introspection, dpop, …) the case needs'),
    request: RequestSchema.default({ client: 'primary' }),
    expect: z.array(ExpectSchema).min(1).optional().describe('checks of a one-request case'),
    steps: z.array(StepSchema).min(1).optional().describe('a case of several requests, each with its checks'),
  })
  .refine((c) => (c.expect === undefined) !== (c.steps === undefined), {
    message: 'give either "expect" (one request) or "steps", not both',
    path: ['expect'],
  })
export type Case = z.infer<typeof CaseSchema>

export const SuiteSchema = z.strictObject({
  $schema: z.string().optional(),
  version: z.literal(1),
  id: z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/),
  title: z.string().min(1),
  description: z.string().optional(),
  cases: z.array(CaseSchema).min(1),
})
export type Suite = z.infer<typeof SuiteSchema>
