/**
 * Generic assertions: a location in the answer and a closed operator, for the policies a user
 * writes about their own tenant (the token's audience is our API, it lives at most an hour…).
 * Like every check they are pure, and their evidence says where they looked, what they expected
 * and what they saw.
 *
 * @module
 */
import type { Operator } from '../schema/expect.ts'
import { bodyObject, fails, holds, notApplicable, scopeSet, showValue, tryDecodeJwt } from './_util.ts'
import { grantedScope } from './token-response.ts'
import type { CheckInput, DecodedToken, Verdict } from './types.ts'

export interface Assertion {
  /** Where to look (expect.ts LOCATION). */
  location: string
  /** For token.* locations: the body member holding the JWT, as a JSON Pointer. */
  from?: string
  operator: Operator
  /** The operand, its references already resolved. */
  operand: unknown
}

/** The subject of `matches` is cut to this many characters: a pattern cannot be made to backtrack over a whole hostile body. */
const MATCH_SUBJECT_CHARS = 65_536
const SHOWN_CHARS = 200

type Located = { value: unknown; note?: string } | { notApplicable: string }

/** What a location holds in this answer; `value: undefined` when it is absent. */
function locate(location: string, from: string | undefined, input: CheckInput): Located {
  if (location === 'status') return { value: input.response.status }
  if (location.startsWith('headers/')) return { value: input.response.headers.get(location.slice('headers/'.length)) ?? undefined }
  if (location === 'body') return { value: input.response.text }
  if (location.startsWith('body/')) {
    if (input.response.json === undefined) return { value: undefined, note: 'the body is not JSON' }
    return { value: pointer(input.response.json, location.slice('body'.length)) }
  }
  if (location === 'granted-scopes') {
    if (!input.token) return { notApplicable: 'no access token was issued' }
    const granted = grantedScope(input)
    if (!granted) return { notApplicable: 'the granted scope cannot be observed (no scope returned, no scope claim, none requested)' }
    return { value: [...granted.scopes], note: `from ${granted.source}` }
  }
  // token.*: the decoded JWT access token, or the JWT in another body member.
  if (location === 'token.format' && from === undefined) {
    if (!input.token) return { notApplicable: 'no access token was issued' }
    return { value: input.token.jwt ? 'jwt' : 'opaque' }
  }
  const jwt = jwtAt(from, input)
  if ('notApplicable' in jwt) return location === 'token.format' ? { value: 'opaque' } : jwt
  if (location === 'token.format') return { value: 'jwt' }
  const { header, claims } = jwt
  if (location === 'token.lifetime') {
    const { exp, iat } = claims
    return typeof exp === 'number' && typeof iat === 'number' ? { value: exp - iat, note: `exp ${exp}, iat ${iat}` } : { value: undefined, note: `exp ${show(exp)}, iat ${show(iat)}` }
  }
  if (location === 'token.audiences') {
    const aud = claims.aud
    return { value: aud === undefined ? undefined : Array.isArray(aud) ? aud : [aud], note: aud === undefined ? 'no aud claim' : undefined }
  }
  const [part, ...rest] = location.slice('token.'.length).split('/')
  return { value: pointer(part === 'header' ? header : claims, rest.length ? `/${rest.join('/')}` : '') }
}

function jwtAt(from: string | undefined, input: CheckInput): DecodedToken | { notApplicable: string } {
  if (from === undefined) {
    if (!input.token) return { notApplicable: 'no access token was issued' }
    return input.token.jwt ?? { notApplicable: 'the access token is opaque, not a JWT (RFC 6749 leaves the format open)' }
  }
  const member = pointer(bodyObject(input), from)
  if (typeof member !== 'string') return { notApplicable: `the body has no ${from} text to decode` }
  return tryDecodeJwt(member) ?? { notApplicable: `${from} is not a JWT` }
}

/** Evaluates a JSON Pointer (RFC 6901); undefined when the path does not exist. */
export function pointer(value: unknown, path: string): unknown {
  if (path === '') return value
  let at: unknown = value
  for (const raw of path.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~')
    if (Array.isArray(at) && /^(0|[1-9]\d*)$/.test(key)) at = at[Number(key)]
    else if (at !== null && typeof at === 'object' && !Array.isArray(at) && Object.hasOwn(at, key)) at = (at as Record<string, unknown>)[key]
    else return undefined
  }
  return at
}

const PHRASES: Record<Operator, string> = {
  equals: 'equal to',
  notEquals: 'other than',
  oneOf: 'one of',
  matches: 'matching',
  exists: 'present',
  absent: 'absent',
  lessThan: 'less than',
  atMost: 'at most',
  greaterThan: 'greater than',
  atLeast: 'at least',
  contains: 'containing',
  excludes: 'not containing',
  subsetOf: 'a subset of',
  type: 'of type',
  sameAs: 'the same as in step',
}

/** What a negative operator's failure reads as, rather than "not not containing". */
const NEGATED: Partial<Record<Operator, string>> = { notEquals: 'equal to', excludes: 'containing' }

/** How an assertion's expectation reads: `token.lifetime at most 3600`. */
export function describeAssertion(a: Assertion): string {
  const operand = a.operator === 'exists' || a.operator === 'absent' ? '' : ` ${a.operator === 'matches' || a.operator === 'type' ? String(a.operand) : show(a.operand)}`
  return `${a.location}${a.from ? ` (of ${a.from})` : ''} ${PHRASES[a.operator]}${operand}`
}

export function evaluateAssertion(a: Assertion, input: CheckInput): Verdict {
  const found = locate(a.location, a.from, input)
  if ('notApplicable' in found) return notApplicable(found.notApplicable)
  const expected = describeAssertion(a)
  const actual = `${found.value === undefined ? '(absent)' : show(found.value)}${found.note ? ` (${found.note})` : ''}`
  const problem = judge(a.operator, found.value, a.operand)
  if (problem === undefined) return holds(expected, actual, `${a.location} is ${actual}`)
  return fails(expected, actual, found.value === undefined ? `${a.location} is absent${found.note ? ` (${found.note})` : ''}; expected ${expected}` : `${a.location} is ${actual}: ${problem}`)
}

/** Locations whose value is a set written as a list: their order carries no meaning. */
const UNORDERED = new Set(['granted-scopes', 'token.audiences'])

/**
 * `sameAs`: the location holds in this answer what it held in an earlier step's answer, for
 * requirements that are relative ("treated as if omitted", "order does not matter"). Absent in
 * both is the same; where either answer cannot show the value at all (no token, or a grant that
 * cannot be observed) there is nothing to compare and the comparison does not apply: a token in
 * one answer and an error in the other is told by comparing their status and error instead.
 */
export function evaluateSameAs(a: Omit<Assertion, 'operator' | 'operand'>, step: number, earlier: CheckInput, input: CheckInput): Verdict {
  const before = locate(a.location, a.from, earlier)
  const now = locate(a.location, a.from, input)
  const expected = `${a.location}${a.from ? ` (of ${a.from})` : ''} the same as in step ${step}`
  const describe = (l: Located) => ('notApplicable' in l ? `not there (${l.notApplicable})` : l.value === undefined ? '(absent)' : show(l.value))
  if ('notApplicable' in before && 'notApplicable' in now) return notApplicable(`in neither answer: ${now.notApplicable}`)
  if ('notApplicable' in now) return notApplicable(`nothing to compare with step ${step}: in this answer, ${now.notApplicable}`)
  if ('notApplicable' in before) return notApplicable(`nothing to compare: in step ${step}, ${before.notApplicable}`)
  const actual = `${describe(now)}; step ${step}: ${describe(before)}`
  const same = UNORDERED.has(a.location) && Array.isArray(before.value) && Array.isArray(now.value) ? sameMembers(before.value, now.value) : deepEqual(before.value, now.value)
  return same
    ? holds(expected, actual, `${a.location} is ${describe(now)}, as in step ${step}`)
    : fails(expected, actual, `${a.location} is ${describe(now)}, but was ${describe(before)} in step ${step}`)
}

function sameMembers(a: unknown[], b: unknown[]): boolean {
  return a.every((x) => b.some((y) => deepEqual(x, y))) && b.every((y) => a.some((x) => deepEqual(x, y)))
}

/** Undefined when the operator holds; otherwise what is wrong. */
function judge(op: Operator, v: unknown, x: unknown): string | undefined {
  const not = `${NEGATED[op] ?? `not ${PHRASES[op]}`}${op === 'exists' || op === 'absent' ? '' : ` ${op === 'matches' || op === 'type' ? String(x) : show(x)}`}`
  switch (op) {
    case 'sameAs':
      throw new Error('"sameAs" compares two answers: see evaluateSameAs')
    case 'exists':
      return v !== undefined ? undefined : 'absent'
    case 'absent':
      return v === undefined ? undefined : 'present'
    case 'excludes':
      if (v === undefined) return undefined
      if (typeof v === 'string' || Array.isArray(v)) return contains(v, x) ? not : undefined
      return `a ${typeOf(v)} contains nothing`
  }
  if (v === undefined) return 'nothing is there'
  switch (op) {
    case 'equals':
      return deepEqual(v, x) ? undefined : not
    case 'notEquals':
      return deepEqual(v, x) ? not : undefined
    case 'oneOf':
      return asList(x).some((o) => deepEqual(v, o)) ? undefined : not
    case 'matches': {
      if (typeof v !== 'string' && typeof v !== 'number') return `a ${typeOf(v)} is not text`
      return toRegExp(String(x)).test(String(v).slice(0, MATCH_SUBJECT_CHARS)) ? undefined : not
    }
    case 'lessThan':
    case 'atMost':
    case 'greaterThan':
    case 'atLeast': {
      if (typeof v !== 'number') return `a ${typeOf(v)} is not a number`
      const n = Number(x)
      const ok = op === 'lessThan' ? v < n : op === 'atMost' ? v <= n : op === 'greaterThan' ? v > n : v >= n
      return ok ? undefined : not
    }
    case 'contains':
      if (typeof v !== 'string' && !Array.isArray(v)) return `a ${typeOf(v)} contains nothing`
      return contains(v, x) ? undefined : not
    case 'subsetOf': {
      const allowed = asList(x)
      const extra = (Array.isArray(v) ? v : [v]).filter((e) => !allowed.some((a) => deepEqual(e, a)))
      return extra.length ? `${show(extra)} ${extra.length === 1 ? 'is' : 'are'} not in ${show(allowed)}` : undefined
    }
    case 'type':
      return typeOf(v) === x || (x === 'number' && typeOf(v) === 'integer') ? undefined : `a ${typeOf(v)}`
  }
}

function contains(v: string | unknown[], x: unknown): boolean {
  return typeof v === 'string' ? v.includes(String(x)) : v.some((e) => deepEqual(e, x))
}

/** A list operand; a text given for a list (a scope string) is its space-delimited items. */
function asList(x: unknown): unknown[] {
  if (Array.isArray(x)) return x
  return typeof x === 'string' ? [...scopeSet(x)] : [x]
}

/** `pattern` or `/pattern/flags`, compiled; validated when the suite was loaded. */
export function toRegExp(source: string): RegExp {
  const literal = /^\/(.*)\/([imsu]*)$/s.exec(source)
  return literal ? new RegExp(literal[1]!, literal[2]) : new RegExp(source)
}

function typeOf(v: unknown): string {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'array'
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number'
  return typeof v
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false
  if (Array.isArray(a) !== Array.isArray(b)) return false
  if (Array.isArray(a)) return a.length === (b as unknown[]).length && a.every((x, i) => deepEqual(x, (b as unknown[])[i]))
  const ka = Object.keys(a)
  const kb = Object.keys(b as object)
  return ka.length === kb.length && ka.every((k) => Object.hasOwn(b as object, k) && deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
}

/** A value as the evidence shows it: JSON, cut short. */
function show(v: unknown): string {
  const text = v === undefined ? '(absent)' : showValue(v)
  return text.length > SHOWN_CHARS ? `${text.slice(0, SHOWN_CHARS)}…` : text
}
