/**
 * Applicability as data: whether a case's or an expectation's `when` holds for this target and
 * this answer. A condition that does not hold is a reason, not a verdict: the expectation is not
 * judged, or the case is skipped.
 *
 * @module
 */
import type { When } from '../schema/expect.ts'
import { deepEqual } from './assert.ts'
import type { CheckInput } from './types.ts'

/** What a condition can be judged on: the target always, the answer's token once there is one. */
export interface WhenFacts {
  profile: string
  clientAuthProfile: string
  metadata?: Record<string, unknown>
  /** The access token of the answer; absent before a request is sent. */
  token?: CheckInput['token'] | 'none'
}

export function factsOf(input: CheckInput): WhenFacts {
  return { profile: input.target.profile, clientAuthProfile: input.target.clientAuthProfile, metadata: input.metadata, token: input.token ?? 'none' }
}

/**
 * The first condition that does not hold, as a reason; undefined when all hold. Conditions on the
 * token are not judged until there is an answer (`facts.token` absent).
 */
export function unmetCondition(when: When | undefined, facts: WhenFacts): string | undefined {
  if (!when) return undefined
  const list = <T>(v: T | T[]) => (Array.isArray(v) ? v : [v])
  if (when.profile && !list(when.profile).includes(facts.profile as 'rfc6749')) return `judged under the ${list(when.profile).join(' or ')} profile; the target uses ${facts.profile}`
  if (when.clientAuthProfile && !list(when.clientAuthProfile).includes(facts.clientAuthProfile as 'oidc'))
    return `judged under the ${list(when.clientAuthProfile).join(' or ')} client authentication profile; the target uses ${facts.clientAuthProfile}`
  if (when.advertises) {
    const md = facts.metadata
    if (!md) return 'no authorization server metadata was discovered'
    const wanted = Array.isArray(when.advertises) ? Object.fromEntries(when.advertises.map((m) => [m, undefined])) : when.advertises
    for (const [member, value] of Object.entries(wanted)) {
      const has = md[member]
      if (has === undefined) return `the metadata does not advertise ${member}`
      if (value !== undefined && !deepEqual(has, value) && !(Array.isArray(has) && has.some((h) => deepEqual(h, value))))
        return `the metadata's ${member} is ${JSON.stringify(has)}, not ${JSON.stringify(value)}`
    }
  }
  if (when.token && facts.token !== undefined) {
    const token = facts.token
    if (token === 'none') return 'no access token was issued'
    const jwt = token.jwt
    switch (when.token) {
      case 'jwt':
        if (!jwt) return 'the access token is opaque, not a JWT (RFC 6749 leaves the format open)'
        break
      case 'opaque':
        if (jwt) return 'the access token is a JWT'
        break
      case 'at+jwt':
        if (!jwt) return 'the access token is opaque, not a JWT (RFC 6749 leaves the format open)'
        if (!declaresAtJwt(jwt.header)) return 'the token does not declare typ at+jwt'
        break
      case 'other-jwt':
        if (!jwt) return 'the access token is opaque, not a JWT (RFC 6749 leaves the format open)'
        if (declaresAtJwt(jwt.header)) return 'judged by the at+jwt variant'
        break
    }
  }
  return undefined
}

/** True when `typ` declares an RFC 9068 access token ("at+jwt", "application/at+jwt"). */
export function declaresAtJwt(header: Record<string, unknown>): boolean {
  const typ = typeof header.typ === 'string' ? header.typ.toLowerCase() : ''
  return typ === 'at+jwt' || typ === 'application/at+jwt'
}
