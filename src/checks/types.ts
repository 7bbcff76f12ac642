/**
 * What a check sees and what it says. Checks are pure: no I/O, no clock, no randomness beyond
 * what the engine hands them, and they decide only whether something holds. The suite decides
 * how much it matters (the level) and which requirement it serves.
 *
 * @module
 */
import type * as z from 'zod'
import type { ClientAuthProfile } from '../schema/target.ts'

interface ObservedResponse {
  status: number
  headers: Headers
  text: string
  truncated: boolean
  /** The parsed body when it was JSON. */
  json: unknown
  jsonError?: string
  /** Why the bytes are not UTF-8 without a byte order mark; undefined when they are. */
  notUtf8?: string
  /** Member names written twice in one object, as paths; undefined when the body is not JSON. */
  duplicateMembers?: string[]
}

export interface DecodedToken {
  header: Record<string, unknown>
  claims: Record<string, unknown>
}

export interface JsonWebKeySetLike {
  keys: Array<Record<string, unknown>>
}

export interface CheckInput {
  response: ObservedResponse
  request: {
    method: string
    url: string
    /** How the client authenticated: a token_endpoint_auth_method name, or `none`, `multiple`. */
    authMethod: string
    usedBasic: boolean
    /** The RFC 7638 thumbprint of the DPoP key, when the request carried a DPoP proof. */
    dpopJkt?: string
    /** The x5t#S256 of the client certificate presented in mutual TLS (RFC 8705 §3.1); 'unknown' when the runtime presents one it cannot read. */
    certificateThumbprint?: string
    /** The scope parameter as sent; undefined when the request had none. */
    requestedScope: string | undefined
    clientId: string
  }
  /** What this step did: a token request, a replayed one, an introspection, a revocation, or looked at the metadata. */
  step: 'token' | 'replay' | 'introspect' | 'revoke' | 'inspect'
  target: {
    issuer?: string
    profile: string
    clientAuthProfile: ClientAuthProfile
    /** The target's scopes, for checks that ask whether a grant includes one of them. */
    scopes: { valid: string[]; restricted?: string; unknown: string }
    resource?: string
    audience?: string
    /** The origins the target names or allows: credentials and tokens go nowhere else. */
    allowedOrigins: string[]
    /** The token endpoint the target file names, if it names one. */
    tokenEndpoint?: string
  }
  /** The authorization server metadata from discovery, when there was discovery. */
  metadata?: Record<string, unknown>
  /** Every well-known document discovery tried, with its status and issuer. */
  discovery?: Array<{ url: string; status?: number; issuer?: unknown; problem?: string }>
  /**
   * The access token of a successful token response; for introspection and revocation steps, the
   * token the step was about (the one the case's first step obtained).
   */
  token?: {
    value: string
    jwt?: DecodedToken
    /** The "scope" member of the token response that issued it, when there was one. */
    scope?: string
  }
  /**
   * The target's key set, fetched once per run for checks that declare `needsJwks`; `notFetched`
   * says why it was not (a jwks_uri on an origin the target does not name).
   */
  jwks?: JsonWebKeySetLike | { error: string } | { notFetched: string }
  nowSec: number
}

/**
 * `holds: 'n/a'` means the check does not apply here (say, JWT claims of an opaque token); the
 * message says why.
 */
export interface Verdict {
  holds: boolean | 'n/a'
  expected: string
  actual: string
  message: string
}

export interface CheckDefinition<A = Record<string, never>> {
  id: string
  /** One sentence: what holds when the check passes. */
  summary: string
  args: z.ZodType<A>
  needsJwks?: boolean
  /**
   * Records behaviour rather than judging it: it always holds, so no defect can fail it, and the
   * proof of the tester (every check caught by a defect aimed at it) leaves it out.
   */
  observation?: true
  run(input: CheckInput, args: A): Verdict | Promise<Verdict>
}

/**
 * A check of any argument type, as the vocabulary holds them: the plan validates a check's
 * arguments with its own `args` schema before `run` gets them.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- `run` takes A as a parameter, so no CheckDefinition<X> is a CheckDefinition<unknown>.
export type AnyCheckDefinition = CheckDefinition<any>

/** Defines a check with its argument schema, keeping `run`'s argument type. */
export function defineCheck<A>(def: CheckDefinition<A>): CheckDefinition<A> {
  return def
}
