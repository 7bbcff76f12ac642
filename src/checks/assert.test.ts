import { describe, expect, it } from 'vitest'
import type { Operator } from '../schema/expect.ts'
import { describeAssertion, evaluateAssertion, evaluateSameAs, pointer } from './assert.ts'
import type { CheckInput } from './types.ts'

function answer(over: { status?: number; headers?: Record<string, string>; body?: unknown; text?: string; token?: CheckInput['token']; requestedScope?: string } = {}): CheckInput {
  const text = over.text ?? (over.body === undefined ? '' : JSON.stringify(over.body))
  let json: unknown
  try {
    json = text ? JSON.parse(text) : undefined
  } catch {
    json = undefined
  }
  return {
    response: { status: over.status ?? 200, headers: new Headers(over.headers ?? {}), text, truncated: false, json },
    request: { method: 'POST', url: 'https://as.example/token', authMethod: 'client_secret_basic', usedBasic: true, requestedScope: over.requestedScope, clientId: 'c1' },
    step: 'token',
    target: { issuer: 'https://as.example', profile: 'rfc6749', clientAuthProfile: 'oidc', scopes: { valid: ['read'], unknown: 'nope' }, allowedOrigins: ['https://as.example'] },
    token: over.token,
    nowSec: 1_800_000_000,
  }
}

const claims = { iss: 'https://as.example', aud: 'https://api.example/', iat: 1_800_000_000, exp: 1_800_003_600, scope: 'read write', 'https://example.com/roles': ['admin'] }
const jwtToken = { value: 'a.b.c', jwt: { header: { alg: 'RS256', typ: 'at+jwt' }, claims } }
const tokenBody = { access_token: 'a.b.c', token_type: 'Bearer', expires_in: 3600, nested: { list: [1, { x: 'y' }] }, id_token: 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ1In0.' }
const withJwt = answer({ body: tokenBody, headers: { 'Cache-Control': 'no-store', 'content-type': 'application/json' }, token: jwtToken, requestedScope: 'read write' })

const judge = (location: string, operator: Operator, operand: unknown, input = withJwt, from?: string) => evaluateAssertion({ location, operator, operand, from }, input)

describe('generic assertion locations', () => {
  it.each([
    ['status', 200],
    ['headers/cache-control', 'no-store'],
    ['headers/CACHE-CONTROL', 'no-store'],
    ['body/expires_in', 3600],
    ['body/nested/list/1/x', 'y'],
    ['token.header/typ', 'at+jwt'],
    ['token.claims/aud', 'https://api.example/'],
    ['token.claims/https:~1~1example.com~1roles', ['admin']],
    ['token.lifetime', 3600],
    ['token.audiences', ['https://api.example/']],
    ['token.format', 'jwt'],
    ['granted-scopes', ['read', 'write']],
  ])('%s reads %j', (location, value) => {
    const v = judge(location, 'equals', value)
    expect(v.holds, `${location}: ${v.actual}`).toBe(true)
  })

  it('reads a JWT in another member with from', () => {
    expect(judge('token.claims/sub', 'equals', 'u', withJwt, '/id_token').holds).toBe(true)
    expect(judge('token.claims/sub', 'equals', 'u', withJwt, '/token_type').holds).toBe('n/a')
  })

  it('is not applicable to token.* of an opaque token or when no token was issued', () => {
    const opaque = answer({ body: { access_token: 'xyz' }, token: { value: 'xyz' } })
    expect(judge('token.claims/aud', 'exists', true, opaque).holds).toBe('n/a')
    expect(judge('token.format', 'equals', 'opaque', opaque).holds).toBe(true)
    const refused = answer({ status: 400, body: { error: 'invalid_scope' } })
    expect(judge('granted-scopes', 'excludes', 'admin', refused).holds).toBe('n/a')
    expect(judge('token.lifetime', 'atMost', 3600, refused).holds).toBe('n/a')
  })

  it('evaluates JSON Pointers as RFC 6901 says', () => {
    const doc = { 'a/b': 1, 'm~n': 2, '': 3, list: [10, 20] }
    expect(pointer(doc, '/a~1b')).toBe(1)
    expect(pointer(doc, '/m~0n')).toBe(2)
    expect(pointer(doc, '/')).toBe(3)
    expect(pointer(doc, '/list/1')).toBe(20)
    expect(pointer(doc, '/list/01')).toBeUndefined()
    expect(pointer(doc, '/constructor')).toBeUndefined()
    expect(pointer(doc, '')).toBe(doc)
  })
})

describe('generic assertion operators', () => {
  it.each<[string, Operator, unknown, boolean]>([
    ['status', 'equals', 200, true],
    ['status', 'equals', '200', false],
    ['status', 'notEquals', 201, true],
    ['status', 'oneOf', [200, 201], true],
    ['status', 'oneOf', [400], false],
    ['headers/cache-control', 'matches', '^no-store$', true],
    ['headers/cache-control', 'matches', '/NO-STORE/i', true],
    ['headers/cache-control', 'matches', 'private', false],
    ['headers/pragma', 'absent', true, true],
    ['headers/pragma', 'exists', true, false],
    ['body/expires_in', 'exists', true, true],
    ['body/expires_in', 'lessThan', 3600, false],
    ['body/expires_in', 'atMost', 3600, true],
    ['body/expires_in', 'greaterThan', 0, true],
    ['body/expires_in', 'atLeast', 3601, false],
    ['body/token_type', 'atMost', 3600, false],
    ['token.audiences', 'contains', 'https://api.example/', true],
    ['token.audiences', 'contains', 'https://api.example', false],
    ['token.claims/aud', 'contains', 'api.example', true],
    ['granted-scopes', 'excludes', 'admin', true],
    ['granted-scopes', 'excludes', 'write', false],
    ['token.claims/scp', 'excludes', 'admin', true],
    ['granted-scopes', 'subsetOf', ['read', 'write', 'admin'], true],
    ['granted-scopes', 'subsetOf', 'read', false],
    ['token.claims/aud', 'subsetOf', ['https://api.example/'], true],
    ['body/nested', 'type', 'object', true],
    ['body/expires_in', 'type', 'integer', true],
    ['body/expires_in', 'type', 'number', true],
    ['body/nested/list', 'type', 'array', true],
    ['body/token_type', 'type', 'number', false],
    ['body/missing', 'equals', 'x', false],
  ])('%s %s %j → %s', (location, op, operand, holds) => {
    expect(judge(location, op, operand).holds).toBe(holds)
  })

  it('says what was expected, what was seen and where', () => {
    const v = judge('token.lifetime', 'atMost', 600)
    expect(v.expected).toBe('token.lifetime at most 600')
    expect(v.actual).toBe('3600 (exp 1800003600, iat 1800000000)')
    expect(v.message).toMatch(/^token\.lifetime is 3600 .*: not at most 600$/)
    expect(describeAssertion({ location: 'headers/pragma', operator: 'absent', operand: true })).toBe('headers/pragma absent')
    const missing = judge('body/nope', 'equals', 1)
    expect(missing.actual).toBe('(absent)')
    expect(missing.message).toBe('body/nope is absent; expected body/nope equal to 1')
  })

  it('cuts long values in the evidence', () => {
    const long = answer({ body: { x: 'a'.repeat(5000) } })
    expect(judge('body/x', 'equals', 'b', long).actual.length).toBeLessThan(260)
  })
})

describe('sameAs: a location compared with an earlier step', () => {
  const granted = (scope: string | undefined, requestedScope?: string) =>
    answer({ body: { access_token: 'x', token_type: 'Bearer', ...(scope === undefined ? {} : { scope }) }, token: { value: 'x', scope }, requestedScope })
  const refused = (error: string, status = 400) => answer({ status, body: { error } })
  const same = (location: string, earlier: CheckInput, now: CheckInput) => evaluateSameAs({ location }, 1, earlier, now).holds

  it.each<[string, string, CheckInput, CheckInput, boolean | 'n/a']>([
    ['the same status', 'status', refused('invalid_scope'), refused('invalid_scope'), true],
    ['a token, then a refusal', 'status', granted('read'), refused('invalid_scope'), false],
    ['no error in either answer (absent is the same)', 'body/error', granted('read'), granted('read'), true],
    ['no error, then invalid_scope', 'body/error', granted('read'), refused('invalid_scope'), false],
    ['invalid_scope, then invalid_request', 'body/error', refused('invalid_scope'), refused('invalid_request'), false],
    ['scopes in another order (a set)', 'granted-scopes', granted('read write'), granted('write read'), true],
    ['fewer scopes granted', 'granted-scopes', granted('read write'), granted('write'), false],
    // Nothing to compare: the status and error comparisons tell a token from a refusal.
    ['a grant, then none (no token)', 'granted-scopes', granted('read'), refused('invalid_scope'), 'n/a'],
    ['no grant in either answer', 'granted-scopes', refused('invalid_scope'), refused('invalid_scope'), 'n/a'],
  ])('%s: %s', (_, location, earlier, now, holds) => {
    expect(same(location, earlier, now)).toBe(holds)
  })

  it('keeps the order of lists where order is data', () => {
    const a = answer({ body: { list: [1, 2] } })
    const b = answer({ body: { list: [2, 1] } })
    expect(same('body/list', a, b)).toBe(false)
    expect(same('body/list', a, a)).toBe(true)
  })

  it('says what each answer held', () => {
    const v = evaluateSameAs({ location: 'body/error' }, 1, granted('read'), refused('invalid_scope'))
    expect(v.expected).toBe('body/error the same as in step 1')
    expect(v.actual).toBe('"invalid_scope"; step 1: (absent)')
    expect(v.message).toBe('body/error is "invalid_scope", but was (absent) in step 1')
  })
})
